namespace Wireframe.Fragmentation;

/// <summary>
/// Finds out once, when a connection's adapter is built, whether a strategy overrides the frame
/// builders of <see cref="IFragmentStrategy{TFrame}"/>: when it does not, the adapter calls the
/// envelope format directly and saves a default-interface-method dispatch per frame.
/// </summary>
internal static class StrategyOverrides<TFrame>
{
    private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Type, Tuple<bool, bool>> Cache = [];

    /// <summary>Gets whether the strategy's type implements CreateFragment and CreateMessage itself.</summary>
    public static (bool Fragment, bool Message) Of(IFragmentStrategy<TFrame> strategy)
    {
        Tuple<bool, bool> found = Cache.GetValue(strategy.GetType(), static type =>
        {
            System.Reflection.InterfaceMapping map = type.GetInterfaceMap(typeof(IFragmentStrategy<TFrame>));
            bool fragment = false;
            bool message = false;
            for (int i = 0; i < map.InterfaceMethods.Length; i++)
            {
                bool own = map.TargetMethods[i].DeclaringType != typeof(IFragmentStrategy<TFrame>);
                if (map.InterfaceMethods[i].Name == nameof(IFragmentStrategy<TFrame>.CreateFragment))
                {
                    fragment = own;
                }
                else if (map.InterfaceMethods[i].Name == nameof(IFragmentStrategy<TFrame>.CreateMessage))
                {
                    message = own;
                }
            }

            return Tuple.Create(fragment, message);
        });
        return (found.Item1, found.Item2);
    }
}
