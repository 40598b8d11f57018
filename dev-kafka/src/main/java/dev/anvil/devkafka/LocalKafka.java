package dev.anvil.devkafka;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import kafka.server.KafkaConfig;
import kafka.server.KafkaRaftServer;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.common.Uuid;
import org.apache.kafka.common.utils.Time;
import org.apache.kafka.metadata.storage.Formatter;
import org.apache.kafka.server.common.Feature;
import org.apache.kafka.server.common.MetadataVersion;

/**
 * A real single-node Apache Kafka broker in KRaft mode (broker and controller in one), running in
 * this JVM, for the demo and the tests. Both listeners bind to 127.0.0.1 only.
 *
 * <p>The ports and the data directory are fixed when the broker is first created, so {@link
 * #stop()} then {@link #start()} brings the same broker back with its topics, records and committed
 * offsets: tests use that to take the broker away under a running consumer.
 *
 * <p>Not thread-safe; one owner starts and stops it.
 */
public final class LocalKafka implements AutoCloseable {
  private static final String HOST = "127.0.0.1";

  private final Path logDir;
  private final int port;
  private final int controllerPort;
  private KafkaRaftServer server;

  private LocalKafka(Path dir, int port, int controllerPort) {
    this.logDir = dir.toAbsolutePath().resolve("logs");
    this.port = port;
    this.controllerPort = controllerPort;
  }

  /**
   * Formats {@code dir} (unless it already holds this broker's data) and starts the broker on
   * {@code port} (0 for a free one). Returns when it answers requests.
   */
  public static LocalKafka start(Path dir, int port) {
    LocalKafka kafka = new LocalKafka(dir, port == 0 ? freePort() : port, freePort());
    kafka.format();
    kafka.start();
    return kafka;
  }

  /** {@code 127.0.0.1:port}, the bootstrap servers of clients. */
  public String bootstrapServers() {
    return HOST + ":" + port;
  }

  /** The client port. */
  public int port() {
    return port;
  }

  /** The controller (KRaft quorum) port, also on 127.0.0.1. */
  public int controllerPort() {
    return controllerPort;
  }

  /** Whether the broker is running. */
  public boolean running() {
    return server != null;
  }

  /** Starts the broker again after {@link #stop()}, on the same ports and data. */
  public void start() {
    if (server != null) {
      return;
    }
    KafkaRaftServer s = new KafkaRaftServer(new KafkaConfig(config(), false), Time.SYSTEM);
    s.startup();
    server = s;
    awaitReady(Duration.ofSeconds(60));
  }

  /** Stops the broker cleanly; its data stays for {@link #start()}. */
  public void stop() {
    if (server == null) {
      return;
    }
    server.shutdown();
    server.awaitShutdown();
    server = null;
  }

  @Override
  public void close() {
    stop();
  }

  private Map<String, String> config() {
    Map<String, String> c = new TreeMap<>();
    c.put("process.roles", "broker,controller");
    c.put("node.id", "1");
    c.put("controller.quorum.voters", "1@" + HOST + ":" + controllerPort);
    c.put(
        "listeners",
        "PLAINTEXT://" + HOST + ":" + port + ",CONTROLLER://" + HOST + ":" + controllerPort);
    c.put("advertised.listeners", "PLAINTEXT://" + HOST + ":" + port);
    c.put("controller.listener.names", "CONTROLLER");
    c.put("inter.broker.listener.name", "PLAINTEXT");
    c.put("listener.security.protocol.map", "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT");
    c.put("log.dirs", logDir.toString());
    c.put("num.partitions", "1");
    // One node: every internal topic has one replica.
    c.put("offsets.topic.replication.factor", "1");
    c.put("offsets.topic.num.partitions", "4");
    c.put("transaction.state.log.replication.factor", "1");
    c.put("transaction.state.log.min.isr", "1");
    c.put("share.coordinator.state.topic.replication.factor", "1");
    c.put("share.coordinator.state.topic.min.isr", "1");
    c.put("group.initial.rebalance.delay.ms", "0");
    // Topics are created by the applications with the settings they need (e.g. compaction).
    c.put("auto.create.topics.enable", "false");
    return c;
  }

  private void format() {
    try {
      Files.createDirectories(logDir);
      new Formatter()
          .setPrintStream(new PrintStream(OutputStream.nullOutputStream()))
          .setSupportedFeatures(Feature.PRODUCTION_FEATURES)
          .setNodeId(1)
          .setClusterId(Uuid.randomUuid().toString())
          .setDirectories(List.of(logDir.toString()))
          .setMetadataLogDirectory(logDir.toString())
          .setReleaseVersion(MetadataVersion.LATEST_PRODUCTION)
          .setControllerListenerName("CONTROLLER")
          .setIgnoreFormatted(true) // a restart keeps the data and cluster id
          .run();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + logDir, e);
    } catch (Exception e) {
      throw new IllegalStateException(
          "formatting the Kafka log directory " + logDir + " failed", e);
    }
  }

  private void awaitReady(Duration timeout) {
    Properties p = new Properties();
    p.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, bootstrapServers());
    long deadline = System.nanoTime() + timeout.toNanos();
    try (Admin admin = Admin.create(p)) {
      while (true) {
        try {
          admin.describeCluster().nodes().get(5, TimeUnit.SECONDS);
          return;
        } catch (Exception e) {
          if (System.nanoTime() > deadline) {
            throw new IllegalStateException("Kafka did not start on " + bootstrapServers(), e);
          }
          Thread.sleep(100);
        }
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted while waiting for Kafka", e);
    }
  }

  private static int freePort() {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    } catch (IOException e) {
      throw new UncheckedIOException("no free port on " + HOST, e);
    }
  }

  /**
   * Runs the broker until the process is stopped: {@code LocalKafka DIR [PORT]}. Prints {@code
   * KAFKA 127.0.0.1:PORT} when ready.
   */
  public static void main(String[] args) {
    if (args.length < 1 || args.length > 2) {
      System.err.println("usage: LocalKafka DATA_DIR [PORT]");
      System.exit(2);
    }
    LocalKafka kafka = start(Path.of(args[0]), args.length == 2 ? Integer.parseInt(args[1]) : 9092);
    Runtime.getRuntime().addShutdownHook(new Thread(kafka::stop, "kafka-shutdown"));
    System.out.println("KAFKA " + kafka.bootstrapServers());
    System.out.flush();
  }
}
