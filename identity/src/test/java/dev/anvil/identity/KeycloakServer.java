package dev.anvil.identity;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.List;
import java.util.Map;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * A real Keycloak ({@code keycloak-quarkus-dist}, resolved by Maven) started in dev mode on
 * 127.0.0.1 and a free port, with realms imported; plus the few admin REST calls tests need. Public
 * for the tests of other modules (the console's sign-in), through this module's test jar.
 */
public final class KeycloakServer implements AutoCloseable {
  static final String ADMIN = "admin";
  static final String ADMIN_PASSWORD = "admin-dev-password";

  private final Process process;
  private final String url;
  private final Path log;
  private final Duration startup;
  private final HttpClient http = HttpClient.newHttpClient();

  private KeycloakServer(Process process, String url, Path log, Duration startup) {
    this.process = process;
    this.url = url;
    this.log = log;
    this.startup = startup;
  }

  /** Unpacks (once) and starts Keycloak with these realm files imported; waits until ready. */
  public static KeycloakServer start(Path distZip, Path workDir, List<Path> realms)
      throws Exception {
    Path home = unpack(distZip, workDir);
    // A fresh database each start: tests disable users and rotate keys.
    deleteRecursively(home.resolve("data"));
    Path imports = Files.createDirectories(home.resolve("data/import"));
    for (Path realm : realms) {
      // Keycloak imports a realm only from a file named after it: <realm>-realm.json.
      String name = (String) JSONObjectUtils.parse(Files.readString(realm)).get("realm");
      Files.copy(realm, imports.resolve(name + "-realm.json"), StandardCopyOption.REPLACE_EXISTING);
    }
    int port = freePort();
    Path log = workDir.resolve("keycloak.log");
    ProcessBuilder pb =
        new ProcessBuilder(
                home.resolve("bin/kc.sh").toString(),
                "start-dev",
                "--http-host=127.0.0.1",
                "--http-port=" + port,
                "--hostname=http://127.0.0.1:" + port,
                "--import-realm")
            .redirectErrorStream(true)
            .redirectOutput(log.toFile());
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().put("KC_BOOTSTRAP_ADMIN_USERNAME", ADMIN);
    pb.environment().put("KC_BOOTSTRAP_ADMIN_PASSWORD", ADMIN_PASSWORD);
    pb.environment().put("JAVA_OPTS_APPEND", "--add-opens=java.base/java.lang=ALL-UNNAMED");
    long t0 = System.nanoTime();
    Process p = pb.start();
    String url = "http://127.0.0.1:" + port;
    KeycloakServer server = new KeycloakServer(p, url, log, Duration.ZERO);
    long deadline = System.nanoTime() + Duration.ofSeconds(240).toNanos();
    while (System.nanoTime() < deadline) {
      if (!p.isAlive()) {
        throw new IllegalStateException(
            "Keycloak exited with " + p.exitValue() + ":\n" + server.logTail());
      }
      if (server.status(url + "/realms/acme/.well-known/openid-configuration") == 200) {
        return new KeycloakServer(p, url, log, Duration.ofNanos(System.nanoTime() - t0));
      }
      Thread.sleep(250);
    }
    server.close();
    throw new IllegalStateException("Keycloak not ready after 240 s:\n" + server.logTail());
  }

  public String url() {
    return url;
  }

  public String issuer(String realm) {
    return url + "/realms/" + realm;
  }

  public Duration startupTime() {
    return startup;
  }

  /** Every process id of the server (the launcher script and its JVM). */
  List<Long> pids() {
    List<Long> pids = new ArrayList<>();
    pids.add(process.pid());
    process.descendants().forEach(d -> pids.add(d.pid()));
    return pids;
  }

  /** Adds a new RSA signing key with a higher priority: new tokens are signed with it. */
  void rotateSigningKey(String realm) throws Exception {
    String realmId = (String) admin("GET", "/admin/realms/" + realm, null).get("id");
    admin(
        "POST",
        "/admin/realms/" + realm + "/components",
        Map.of(
            "name",
            "rotated-rsa-" + System.nanoTime(),
            "providerId",
            "rsa-generated",
            "providerType",
            "org.keycloak.keys.KeyProvider",
            "parentId",
            realmId,
            "config",
            Map.of(
                "priority", List.of("500"),
                "keySize", List.of("2048"),
                "active", List.of("true"),
                "enabled", List.of("true"),
                "algorithm", List.of("RS256"))));
  }

  /** Enables or disables a user. */
  void setUserEnabled(String realm, String username, boolean enabled) throws Exception {
    String users = get("/admin/realms/" + realm + "/users?exact=true&username=" + username);
    List<Object> list = com.nimbusds.jose.util.JSONArrayUtils.parse(users);
    String id = (String) ((Map<?, ?>) list.getFirst()).get("id");
    admin("PUT", "/admin/realms/" + realm + "/users/" + id, Map.of("enabled", enabled));
  }

  private String adminToken() {
    return new OidcClient(issuer("master"), Duration.ofSeconds(10))
        .password("admin-cli", java.util.Optional.empty(), ADMIN, ADMIN_PASSWORD)
        .accessToken();
  }

  private String get(String path) throws Exception {
    HttpResponse<String> r =
        http.send(
            HttpRequest.newBuilder(URI.create(url + path))
                .header("Authorization", "Bearer " + adminToken())
                .build(),
            HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != 200) {
      throw new IllegalStateException("GET " + path + " -> " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  private Map<String, Object> admin(String method, String path, Map<String, Object> body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url + path))
            .header("Authorization", "Bearer " + adminToken())
            .header("Content-Type", "application/json")
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(JSONObjectUtils.toJSONString(body)));
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() / 100 != 2) {
      throw new IllegalStateException(
          method + " " + path + " -> " + r.statusCode() + " " + r.body());
    }
    return r.body().isBlank() ? Map.of() : JSONObjectUtils.parse(r.body());
  }

  private int status(String u) {
    try {
      return http.send(
              HttpRequest.newBuilder(URI.create(u)).timeout(Duration.ofSeconds(2)).build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    } catch (IOException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    }
  }

  String logTail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  @Override
  public void close() {
    process.descendants().forEach(ProcessHandle::destroy);
    process.destroy();
    try {
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static Path unpack(Path zip, Path workDir) throws IOException {
    String name = zip.getFileName().toString().replace(".zip", "");
    Path home = workDir.resolve(name.replace("keycloak-quarkus-dist-", "keycloak-"));
    if (Files.isExecutable(home.resolve("bin/kc.sh"))) {
      return home;
    }
    Path tmp = Files.createDirectories(workDir.resolve(home.getFileName() + ".unpacking"));
    try (ZipFile z = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = z.entries();
      while (entries.hasMoreElements()) {
        ZipEntry e = entries.nextElement();
        // Entries are under keycloak-<version>/; strip that first directory.
        String rel = e.getName().substring(e.getName().indexOf('/') + 1);
        if (rel.isEmpty()) {
          continue;
        }
        Path target = tmp.resolve(rel).normalize();
        if (!target.startsWith(tmp)) {
          throw new IOException("zip entry escapes the target: " + e.getName());
        }
        if (e.isDirectory()) {
          Files.createDirectories(target);
        } else {
          Files.createDirectories(target.getParent());
          try (InputStream in = z.getInputStream(e)) {
            Files.copy(in, target, StandardCopyOption.REPLACE_EXISTING);
          }
          if (rel.startsWith("bin/") && rel.endsWith(".sh")) {
            target.toFile().setExecutable(true);
          }
        }
      }
    }
    Files.move(tmp, home, StandardCopyOption.ATOMIC_MOVE);
    return home;
  }

  private static void deleteRecursively(Path dir) throws IOException {
    if (!Files.exists(dir)) {
      return;
    }
    try (var paths = Files.walk(dir)) {
      for (Path p : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(p);
      }
    }
  }

  private static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
