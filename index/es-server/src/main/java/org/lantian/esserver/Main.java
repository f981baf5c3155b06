package org.lantian.esserver;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.EmbeddedNode;
import org.elasticsearch.node.Node;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * Runs one single-node Elasticsearch in this JVM until the process is told to stop (SIGTERM or SIGINT).
 *
 * <p>Arguments are settings in the form the {@code elasticsearch} command takes them: {@code -Ekey=value}. They are
 * laid over defaults for a private local node: single-node discovery, loopback only, no disk watermarks.
 * A node that fails to start ends the process with a non-zero code.
 */
public final class Main {
    private Main() {
    }

    public static void main(String[] args) throws Exception {
        // The node logs its own shutdown from our shutdown hook; log4j must not stop first (as in ES's jvm.options).
        System.setProperty("log4j.shutdownHookEnabled", "false");
        System.setProperty("log4j2.disable.jmx", "true");
        System.setProperty("log4j2.formatMsgNoLookups", "true");
        Settings settings = Settings.builder().put(defaults()).put(parse(args)).build();
        if (Environment.PATH_HOME_SETTING.exists(settings) == false) {
            System.err.println("lantian-es-server: missing -Epath.home=DIR");
            System.exit(2);
        }
        LogConfigurator.configureESLogging();
        LogConfigurator.configureWithoutConfig(settings);

        Node node = new EmbeddedNode(new Environment(settings, null), List.of(Netty4Plugin.class, RootEndpointPlugin.class));
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(30, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "lantian-es-shutdown"));
        try {
            node.start();
        } catch (Exception | LinkageError e) {
            e.printStackTrace();
            System.exit(1);
        }
        stopWithOwner();
        stopped.await();
    }

    /**
     * With {@code -Dlantian.es.owner-pid=PID}, stop when that process ends, so a test run that dies does not leave its
     * server behind. Without it the server runs until it is told to stop.
     */
    private static void stopWithOwner() {
        String owner = System.getProperty("lantian.es.owner-pid");
        if (owner == null) {
            return;
        }
        ProcessHandle.of(Long.parseLong(owner))
            .map(ProcessHandle::onExit)
            .ifPresentOrElse(exit -> exit.thenRun(() -> System.exit(0)), () -> System.exit(0));
    }

    static Settings defaults() {
        return Settings.builder()
            .put("cluster.name", "lantian")
            .put("node.name", "lantian-local")
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("transport.port", "0")
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("logger.level", "INFO")
            .build();
    }

    static Settings parse(String[] args) {
        Settings.Builder builder = Settings.builder();
        for (String arg : args) {
            int equals = arg.indexOf('=');
            if (arg.startsWith("-E") == false || equals < 3) {
                throw new IllegalArgumentException("expected -Ekey=value, got [" + arg + "]");
            }
            builder.put(arg.substring(2, equals), arg.substring(equals + 1));
        }
        return builder.build();
    }
}
