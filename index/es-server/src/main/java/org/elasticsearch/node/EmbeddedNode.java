package org.elasticsearch.node;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.Plugin;
import org.elasticsearch.plugins.PluginsService;

import java.util.List;

/**
 * A node built from class path plugins. It lives in this package because the {@link Node} constructor taking a
 * {@link NodeConstruction} and the {@link NodeServiceProvider} hooks are package-private.
 */
public final class EmbeddedNode extends Node {
    public EmbeddedNode(Environment environment, List<Class<? extends Plugin>> plugins) {
        super(NodeConstruction.prepareConstruction(environment, new ClasspathPlugins(plugins), true));
    }

    private static final class ClasspathPlugins extends NodeServiceProvider {
        private final List<Class<? extends Plugin>> plugins;

        ClasspathPlugins(List<Class<? extends Plugin>> plugins) {
            this.plugins = plugins;
        }

        @Override
        PluginsService newPluginService(Environment environment, Settings settings) {
            return new ClasspathPluginsService(settings, plugins);
        }
    }
}
