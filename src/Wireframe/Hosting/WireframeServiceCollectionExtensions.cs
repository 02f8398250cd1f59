using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Wireframe.Messages;
using Wireframe.Routing;

namespace Wireframe.Hosting;

/// <summary>Registers a Wireframe application with the Generic Host.</summary>
public static class WireframeServiceCollectionExtensions
{
    /// <summary>
    /// Registers an application on the default envelope wire format. Bind it to Kestrel endpoints
    /// with <see cref="WireframeListenOptionsExtensions.UseWireframe{TFrame}"/>. Options come from
    /// <c>IOptions&lt;WireframeOptions&gt;</c> (configure them with <c>services.Configure</c> or
    /// configuration binding) and are validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adds routes, middleware and hooks; may also adjust options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddWireframe(this IServiceCollection services, Action<WireframeAppBuilder<Envelope>> configure) =>
        services.AddWireframe(() => WireframeApp.CreateBuilder(), configure);

    /// <summary>Registers an application on your own codec and frame type.</summary>
    /// <typeparam name="TFrame">The frame type.</typeparam>
    /// <param name="services">The services.</param>
    /// <param name="createBuilder">Creates the builder, e.g. <c>() => WireframeApp.CreateBuilder(codec, format)</c>.</param>
    /// <param name="configure">Adds routes, middleware and hooks; may also adjust options.</param>
    /// <returns>The services.</returns>
    public static IServiceCollection AddWireframe<TFrame>(this IServiceCollection services, Func<WireframeAppBuilder<TFrame>> createBuilder, Action<WireframeAppBuilder<TFrame>> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(createBuilder);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddOptions<WireframeOptions>().ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<WireframeOptions>, WireframeOptionsValidator>());
        services.TryAddSingleton(TimeProvider.System);
        services.AddMetrics();

        // Kestrel aborts what is left when the host's own shutdown timeout expires; keep it past
        // Wireframe's drain deadline so connections get their goodbye and a reason in the log.
        services.AddOptions<HostOptions>().PostConfigure<IOptions<WireframeOptions>>((host, wireframe) =>
        {
            WireframeOptions options;
            try
            {
                options = wireframe.Value;
            }
            catch (OptionsValidationException)
            {
                // The host resolves HostOptions while it is being built; invalid options must fail its
                // start (ValidateOnStart) with this same error, not Build().
                return;
            }

            TimeSpan needed = options.ShutdownDrainTimeout + TimeSpan.FromSeconds(5);
            if (host.ShutdownTimeout < needed)
            {
                host.ShutdownTimeout = needed;
            }
        });

        services.AddSingleton(provider =>
        {
            WireframeAppBuilder<TFrame> builder = createBuilder();
            CopyOptions(provider.GetRequiredService<IOptions<WireframeOptions>>().Value, builder.Options);
            configure(builder);
            return builder.Build(provider);
        });
        services.AddSingleton(provider => new WireframeConnectionHandler<TFrame>(
            provider.GetRequiredService<WireframeApplication<TFrame>>(),
            provider.GetService<IHostApplicationLifetime>()));
        return services;
    }

    private static void CopyOptions(WireframeOptions source, WireframeOptions target)
    {
        foreach (var property in typeof(WireframeOptions).GetProperties())
        {
            if (property.CanWrite)
            {
                property.SetValue(target, property.GetValue(source));
            }
        }
    }

    private sealed class WireframeOptionsValidator : IValidateOptions<WireframeOptions>
    {
        public ValidateOptionsResult Validate(string? name, WireframeOptions options)
        {
            try
            {
                options.Validate();
                return ValidateOptionsResult.Success;
            }
            catch (ArgumentOutOfRangeException ex)
            {
                return ValidateOptionsResult.Fail(ex.Message);
            }
        }
    }
}
