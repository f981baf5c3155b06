package org.elasticsearch.plugins;

import org.elasticsearch.Version;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.jdk.ModuleQualifiedExportsService;

import java.util.List;
import java.util.Map;

/**
 * A plugins service whose plugins are classes already on the class path, instead of bundles unpacked under
 * {@code modules/} and {@code plugins/} of an Elasticsearch distribution (which Maven Central does not publish).
 * It lives in this package because {@link PluginsService.LoadedPlugin} and {@code loadPlugin} are package-private.
 */
public final class ClasspathPluginsService extends PluginsService {
    private final List<LoadedPlugin> plugins;

    public ClasspathPluginsService(Settings settings, List<Class<? extends Plugin>> pluginClasses) {
        super(settings, null, null, null);
        this.plugins = pluginClasses.stream().map(pluginClass -> load(settings, pluginClass)).toList();
    }

    private static LoadedPlugin load(Settings settings, Class<? extends Plugin> pluginClass) {
        PluginDescriptor descriptor = new PluginDescriptor(
            pluginClass.getName(),
            "class path plugin of the lantian local server",
            Version.CURRENT.toString(),
            Version.CURRENT.toString(),
            "17",
            pluginClass.getName(),
            null,
            List.of(),
            false,
            false,
            false,
            false
        );
        Plugin plugin = loadPlugin(pluginClass, settings, null);
        return new LoadedPlugin(descriptor, plugin, pluginClass.getClassLoader(), ModuleLayer.boot());
    }

    /** The server runs from the class path (an unnamed module), so it has no qualified exports to pass on. */
    @Override
    protected void addServerExportsService(Map<String, List<ModuleQualifiedExportsService>> qualifiedExports) {}

    @Override
    protected List<LoadedPlugin> plugins() {
        return plugins;
    }
}
