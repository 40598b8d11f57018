package dev.anvil.console;

import dev.anvil.console.spi.JobSource;
import dev.anvil.context.ContextEngine;
import dev.anvil.context.ThreeDocuments;
import dev.anvil.context.api.Limits;
import dev.anvil.context.audit.AuditLog;
import dev.anvil.context.embed.HashEmbedder;
import dev.anvil.context.grpc.Admission;
import dev.anvil.context.judging.EngineCorpus;
import dev.anvil.context.mcp.McpTools;
import dev.anvil.identity.DevTokenIssuer;
import dev.anvil.identity.Identity;
import dev.anvil.judge.Judging;
import dev.anvil.rbac.PolicyPack;
import dev.anvil.rbac.PrincipalDirectory;
import dev.anvil.rbac.TestPacks;
import dev.anvil.rpc.ServerTransport;
import dev.anvil.store.Store;
import dev.anvil.store.StoreConfig;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.opentelemetry.api.OpenTelemetry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A context engine with four documents (eng-1 internal engineering, hr-1 confidential compensation,
 * pub-1 public, and an engineering document whose id is markup), judgments, an audit log, the
 * development issuer, and the console on 127.0.0.1 with development sign-in.
 */
final class ConsoleFixture implements AutoCloseable {
  /** A document id that would run as script if it were ever rendered unescaped. */
  static final String SCRIPT_ID = "eng-<script>alert('x')</script>";

  final Path dir;
  final ContextEngine engine;
  final AuditLog audit;
  final Store store;
  final Judging judging;
  final DevTokenIssuer issuer;
  final PrincipalDirectory people;
  final McpTools tools;
  final ConsoleServer server;
  final PolicyPack pack = TestPacks.example();

  final boolean tls;

  ConsoleFixture(Path dir, JobSource jobs, ServerTransport transport) {
    this(dir, jobs, transport, null);
  }

  /**
   * @param oidc the sign-in, given the schema in force; null: the development sign-in
   */
  ConsoleFixture(
      Path dir,
      JobSource jobs,
      ServerTransport transport,
      java.util.function.Function<
              java.util.function.Supplier<dev.anvil.rbac.schema.TagSchema>, SignIn>
          oidc) {
    this.dir = dir;
    this.tls = transport instanceof ServerTransport.Tls;
    people = ThreeDocuments.people();
    engine =
        ThreeDocuments.engine(
            dir.resolve("index"),
            HashEmbedder.of("hash", 16),
            ThreeDocuments.document(
                SCRIPT_ID,
                "<b>bold</b> title",
                "A document whose id is markup.",
                Map.of("classification", "internal", "department", List.of("engineering"))));
    issuer = DevTokenIssuer.openOrCreate(dir.resolve("dev-key.json"), Clock.systemUTC());
    audit = AuditLog.open(dir.resolve("audit.jsonl"));
    store = Store.open(StoreConfig.embedded(dir));
    judging = Judging.open(store, new EngineCorpus(engine), Clock.systemUTC(), false);
    Limits limits = Limits.DEFAULTS;
    tools =
        new McpTools(
            engine, audit, new Admission(limits), limits, Clock.systemUTC(), OpenTelemetry.noop());
    SignIn signIn =
        oidc != null
            ? oidc.apply(() -> engine.policies().current().schema())
            : new SignIn.Dev(
                issuer,
                people,
                issuer.verifier(SignIn.AUDIENCE, () -> engine.policies().current().schema()));
    server =
        ConsoleServer.start(
            "127.0.0.1",
            0,
            transport,
            new ConsoleServer.Backend(engine, audit, Optional.of(judging), jobs),
            new ConsoleServer.Options(
                signIn,
                pack,
                Optional.of(proposals()),
                Optional.of(dir.resolve("models")),
                Optional.empty()),
            Clock.systemUTC());
  }

  static ConsoleFixture start(Path dir) {
    return new ConsoleFixture(dir, JobSource.NONE, ServerTransport.LOOPBACK_PLAINTEXT);
  }

  /** The console over TLS, with a server certificate of a test CA for 127.0.0.1. */
  static ConsoleFixture startTls(Path dir) {
    dev.anvil.rpc.TestCertificates.Leaf cert =
        dev.anvil.rpc.TestCertificates.ca(dir, "console-test-ca").server(dir, "console");
    return new ConsoleFixture(
        dir, JobSource.NONE, ServerTransport.Tls.of(cert.certFile(), cert.keyFile()));
  }

  /** Where proposed packs live: a copy of the example pack named {@code same}. */
  Path proposals() {
    return dir.resolve("proposals");
  }

  String baseUrl() {
    return (tls ? "https" : "http") + "://127.0.0.1:" + server.port();
  }

  /** {@code who} reads a document through the engine's MCP tools: audited as any read is. */
  void read(String who, String documentId) {
    Identity id =
        new Identity(
            people.find(who).orElseThrow(),
            who,
            Optional.of("test-agent"),
            DevTokenIssuer.ISSUER,
            java.time.Instant.now().plusSeconds(300));
    tools.call(
        id, "via=mcp", new CallToolRequest("get_document", Map.of("document_id", documentId)));
  }

  // --- a browser without a browser: cookies by hand ---

  static final HttpClient HTTP =
      HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();

  static HttpResponse<String> get(String url, String cookie) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(20));
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return send(b.GET().build());
  }

  static HttpResponse<String> post(String url, String cookie, String form) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(Duration.ofSeconds(20))
            .header("Content-Type", "application/x-www-form-urlencoded");
    if (cookie != null) {
      b.header("Cookie", cookie);
    }
    return send(b.POST(HttpRequest.BodyPublishers.ofString(form)).build());
  }

  static HttpResponse<String> send(HttpRequest r) {
    try {
      return HTTP.send(r, HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** A signed-in session: its cookie header and the response that set it. */
  record SignedIn(String base, String cookie, HttpResponse<String> response) {
    String csrf() {
      Matcher m =
          Pattern.compile("name=\"csrf\" value=\"([^\"]+)\"")
              .matcher(get(base + "/", cookie).body());
      if (!m.find()) {
        throw new AssertionError("no CSRF token on the overview page");
      }
      return m.group(1);
    }
  }

  /** Signs in as {@code who} through the development sign-in page, as a browser would. */
  SignedIn signIn(String who) {
    HttpResponse<String> page = get(baseUrl() + "/signin", null);
    String state = value(page.body(), "state");
    String binding = setCookie(page, ConsoleServlet.SIGN_IN_COOKIE);
    HttpResponse<String> done =
        post(
            baseUrl() + "/signin/dev",
            ConsoleServlet.SIGN_IN_COOKIE + "=" + binding,
            "state=" + state + "&principal=" + who);
    return new SignedIn(
        baseUrl(), ConsoleServlet.COOKIE + "=" + setCookie(done, ConsoleServlet.COOKIE), done);
  }

  static String value(String html, String field) {
    Matcher m = Pattern.compile("name=\"" + field + "\" value=\"([^\"]+)\"").matcher(html);
    if (!m.find()) {
      throw new AssertionError("no field " + field + " in " + html);
    }
    return m.group(1);
  }

  static String setCookie(HttpResponse<?> r, String name) {
    return r.headers().allValues("Set-Cookie").stream()
        .filter(c -> c.startsWith(name + "="))
        .map(c -> c.substring(name.length() + 1, c.indexOf(';')))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no cookie " + name + " in " + r.headers()));
  }

  /** Copies the example pack to proposals/NAME, for a proposal to edit. */
  Path propose(String name) {
    Path target = proposals().resolve(name);
    try (var files = Files.walk(pack.dir())) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path t = target.resolve(pack.dir().relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(t);
        } else {
          Files.copy(f, t);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return target;
  }

  @Override
  public void close() {
    server.close();
    store.close();
    engine.close();
    audit.close();
  }
}
