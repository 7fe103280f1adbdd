package innograph.tools.neo4j;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;

import org.neo4j.configuration.GraphDatabaseInternalSettings;
import org.neo4j.configuration.GraphDatabaseSettings;
import org.neo4j.configuration.connectors.BoltConnector;
import org.neo4j.configuration.connectors.HttpConnector;
import org.neo4j.configuration.connectors.HttpsConnector;
import org.neo4j.configuration.helpers.SocketAddress;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.io.ByteUnit;

/**
 * Runs an embedded Neo4j Community DBMS that serves Bolt on a loopback port.
 *
 * <p>Usage: {@code Launcher --home DIR --port N [--host 127.0.0.1]
 * [--pagecache 128m] [--tx-max 256m]}. The password of user {@code neo4j} is
 * read from the environment variable {@value #PASSWORD_ENV} so that it never
 * appears in the process list.
 *
 * <p>Once Bolt accepts connections and the password is set, exactly one line
 * {@code INNOGRAPH-NEO4J READY bolt://HOST:PORT} is printed on stdout. SIGTERM
 * (or Ctrl-C) shuts the DBMS down cleanly through a JVM shutdown hook.
 */
public final class Launcher {

    /** Environment variable that carries the password for user neo4j. */
    static final String PASSWORD_ENV = "INNOGRAPH_NEO4J_PASSWORD";

    /** Prefix of the single line that tells the caller the server is usable. */
    static final String READY_PREFIX = "INNOGRAPH-NEO4J READY ";

    private Launcher() {}

    public static void main(String[] args) {
        Map<String, String> opts = parseArgs(args);
        Path home = Path.of(require(opts, "home")).toAbsolutePath().normalize();
        String host = opts.getOrDefault("host", "127.0.0.1");
        int port = Integer.parseInt(require(opts, "port"));
        long pageCache = ByteUnit.parse(opts.getOrDefault("pagecache", "128m"));
        long txMax = ByteUnit.parse(opts.getOrDefault("tx-max", "256m"));

        String password = System.getenv(PASSWORD_ENV);
        if (password == null || password.length() < 8) {
            fail("environment variable " + PASSWORD_ENV + " must hold a password of at least 8 characters");
        }

        try {
            Files.createDirectories(home);
        } catch (IOException e) {
            fail("cannot create home directory " + home + ": " + e);
        }

        long t0 = System.nanoTime();
        DatabaseManagementService dbms;
        try {
            dbms = new DatabaseManagementServiceBuilder(home)
                    .setConfig(BoltConnector.enabled, true)
                    .setConfig(BoltConnector.listen_address, new SocketAddress(host, port))
                    .setConfig(BoltConnector.advertised_address, new SocketAddress(host, port))
                    .setConfig(HttpConnector.enabled, false)
                    .setConfig(HttpsConnector.enabled, false)
                    .setConfig(GraphDatabaseSettings.default_listen_address, new SocketAddress(host))
                    .setConfig(GraphDatabaseSettings.auth_enabled, true)
                    .setConfig(GraphDatabaseSettings.udc_enabled, false)
                    .setConfig(GraphDatabaseSettings.pagecache_memory, pageCache)
                    .setConfig(GraphDatabaseSettings.memory_transaction_global_max_size, txMax)
                    // Small, non-preallocated transaction logs: this is a dev/CI database.
                    .setConfig(GraphDatabaseSettings.preallocate_logical_logs, false)
                    .setConfig(GraphDatabaseSettings.logical_log_rotation_threshold, ByteUnit.mebiBytes(32))
                    .setConfig(GraphDatabaseSettings.keep_logical_logs, "128M size")
                    // Bolt's Netty loops otherwise idle 5 s each on shutdown (internal settings, 5.26).
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_quiet_period, 0)
                    .setConfig(GraphDatabaseInternalSettings.netty_server_shutdown_timeout, Duration.ofSeconds(5))
                    .build();
        } catch (RuntimeException e) {
            e.printStackTrace();
            fail("could not start Neo4j: " + rootMessage(e));
            return;
        }

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("INNOGRAPH-NEO4J stopping");
            System.out.flush();
            try {
                dbms.shutdown();
            } finally {
                System.out.println("INNOGRAPH-NEO4J stopped");
                System.out.flush();
                stopped.countDown();
            }
        }, "innograph-neo4j-shutdown"));

        try {
            setPassword(dbms, password);
            awaitPort(host, port, Duration.ofSeconds(60));
        } catch (RuntimeException e) {
            e.printStackTrace();
            fail("Neo4j started but is not usable: " + rootMessage(e));
        }

        long millis = (System.nanoTime() - t0) / 1_000_000;
        System.out.println("INNOGRAPH-NEO4J started in " + millis + " ms, home " + home);
        System.out.println(READY_PREFIX + "bolt://" + host + ":" + port);
        System.out.flush();

        try {
            stopped.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /**
     * Sets the password of the built-in user, every start.
     *
     * <p>Queries run through the embedded API bypass authentication, so the
     * system database accepts this administration command from us directly.
     * It also clears the "password change required" flag that a fresh
     * database puts on the default user.
     */
    private static void setPassword(DatabaseManagementService dbms, String password) {
        dbms.database(GraphDatabaseSettings.SYSTEM_DATABASE_NAME)
                .executeTransactionally(
                        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED",
                        Map.of("password", password));
    }

    /** Waits until something accepts TCP connections on host:port. */
    private static void awaitPort(String host, int port, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(host, port), 1000);
                return;
            } catch (IOException e) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("Bolt port " + host + ":" + port + " does not accept connections", e);
                }
                try {
                    Thread.sleep(100);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    throw new IllegalStateException("interrupted", ie);
                }
            }
        }
    }

    private static Map<String, String> parseArgs(String[] args) {
        Map<String, String> out = new HashMap<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                fail("unexpected argument: " + a);
            }
            String key = a.substring(2);
            String value;
            int eq = key.indexOf('=');
            if (eq >= 0) {
                value = key.substring(eq + 1);
                key = key.substring(0, eq);
            } else if (i + 1 < args.length) {
                value = args[++i];
            } else {
                fail("missing value for " + a);
                return out;
            }
            out.put(key, value);
        }
        return out;
    }

    private static String require(Map<String, String> opts, String key) {
        String v = opts.get(key);
        if (v == null || v.isEmpty()) {
            fail("missing required option --" + key
                    + "\nusage: Launcher --home DIR --port N [--host 127.0.0.1] [--pagecache 128m] [--tx-max 256m]");
        }
        return v;
    }

    private static String rootMessage(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c == t ? String.valueOf(t.getMessage()) : t.getMessage() + " (cause: " + c + ")";
    }

    private static void fail(String message) {
        System.err.println("INNOGRAPH-NEO4J ERROR " + message);
        System.err.flush();
        // exit (not halt) so that a registered shutdown hook still closes the DBMS cleanly.
        System.exit(2);
    }
}
