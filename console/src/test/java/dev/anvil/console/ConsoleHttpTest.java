package dev.anvil.console;

import static dev.anvil.console.ConsoleFixture.get;
import static dev.anvil.console.ConsoleFixture.post;
import static org.assertj.core.api.Assertions.assertThat;

import dev.anvil.console.ConsoleFixture.SignedIn;
import dev.anvil.modelcard.ModelCard;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The console over plain HTTP, as a browser would use it: sign-in, the session cookie, who may see
 * what, CSRF, escaping, and each page doing what it says.
 */
class ConsoleHttpTest {
  @TempDir static Path data;
  static ConsoleFixture console;

  @BeforeAll
  static void start() throws Exception {
    console = ConsoleFixture.start(data);
    Path models = Files.createDirectories(data.resolve("models"));
    card(
        models,
        "m-eng",
        Map.of("classification", "internal", "department", List.of("engineering")));
    card(
        models,
        "m-hr",
        Map.of(
            "classification", "confidential",
            "department", List.of("hr"),
            "topics", List.of("compensation")));
  }

  private static void card(Path models, String id, Map<String, Object> lineage) throws Exception {
    Path dir = Files.createDirectories(models.resolve(id));
    ModelCard.of(
            Map.of(
                "model",
                id,
                "job",
                "job-" + id,
                "task",
                "embedding",
                "owner",
                "mia",
                "created",
                "2026-11-30T10:00:00Z",
                "lineage",
                lineage))
        .write(dir);
  }

  @AfterAll
  static void stop() {
    console.close();
  }

  private static String url(String path) {
    return console.baseUrl() + path;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  @Test
  void withoutASessionEveryPageRedirectsToSignIn() {
    for (String path : List.of("/", "/audit", "/policies", "/explain?principal=alice")) {
      HttpResponse<String> r = get(url(path), null);
      assertThat(r.statusCode()).as(path).isIn(302, 303);
      assertThat(r.headers().firstValue("Location").orElseThrow()).endsWith("/signin");
    }
    HttpResponse<String> forged = get(url("/audit"), ConsoleServlet.COOKIE + "=forged");
    assertThat(forged.headers().firstValue("Location").orElseThrow()).endsWith("/signin");
  }

  @Test
  void theSessionCookieIsHttpOnlySecureAndSameSiteStrict() {
    SignedIn sam = console.signIn("sam");
    assertThat(sam.response().statusCode()).isIn(302, 303);
    String cookie =
        sam.response().headers().allValues("Set-Cookie").stream()
            .filter(c -> c.startsWith(ConsoleServlet.COOKIE + "="))
            .findFirst()
            .orElseThrow();
    assertThat(cookie).contains("HttpOnly").contains("Secure").contains("SameSite=Strict");
    assertThat(cookie).contains("Path=/");
    assertThat(cookie.substring(0, cookie.indexOf(';')).length())
        .isGreaterThan(ConsoleServlet.COOKIE.length() + 40); // 256 random bits
    HttpResponse<String> home = get(url("/"), sam.cookie());
    assertThat(home.statusCode()).isEqualTo(200);
    assertThat(home.body()).contains("sam").contains("admin");
    assertThat(home.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("default-src 'none'")
        .contains("frame-ancestors 'none'");
  }

  @Test
  void aPrincipalAllowedNeitherAdminNorAuditGetsABare403() {
    SignedIn alice = console.signIn("alice");
    List<String> bodies =
        List.of(
                "/",
                "/policies",
                "/audit?document=hr-1",
                "/explain?principal=hannah&document=hr-1",
                "/models",
                "/no-such-page")
            .stream()
            .map(
                p -> {
                  HttpResponse<String> r = get(url(p), alice.cookie());
                  assertThat(r.statusCode()).as(p).isEqualTo(403);
                  return r.body();
                })
            .distinct()
            .toList();
    assertThat(bodies).hasSize(1); // the same answer, whatever was asked
    assertThat(bodies.getFirst()).contains("403 Forbidden").doesNotContain("hr-1");
    assertThat(post(url("/diff"), alice.cookie(), "path=same").statusCode()).isEqualTo(403);

    SignedIn audrey = console.signIn("audrey");
    HttpResponse<String> audit = get(url("/policies"), audrey.cookie());
    assertThat(audit.statusCode()).isEqualTo(200);
    assertThat(audit.body()).contains("(audit)");
  }

  @Test
  void aPostWithoutTheSessionsCsrfTokenIsRefused() {
    SignedIn sam = console.signIn("sam");
    SignedIn other = console.signIn("sam");
    assertThat(post(url("/signout"), sam.cookie(), "").statusCode()).isEqualTo(403);
    assertThat(post(url("/signout"), sam.cookie(), "csrf=" + other.csrf()).statusCode())
        .isEqualTo(403);
    assertThat(post(url("/diff"), sam.cookie(), "path=x").body()).contains("CSRF");
    assertThat(get(url("/"), sam.cookie()).statusCode()).isEqualTo(200); // still signed in
    HttpResponse<String> out = post(url("/signout"), sam.cookie(), "csrf=" + sam.csrf());
    assertThat(out.statusCode()).isIn(302, 303);
    assertThat(get(url("/"), sam.cookie()).statusCode()).isIn(302, 303); // signed out
    assertThat(get(url("/"), other.cookie()).statusCode()).isEqualTo(200);
  }

  @Test
  void theDevelopmentSignInNeedsTheStateThisBrowserWasGiven() {
    HttpResponse<String> page = get(url("/signin"), null);
    String state = ConsoleFixture.value(page.body(), "state");
    String binding = ConsoleFixture.setCookie(page, ConsoleServlet.SIGN_IN_COOKIE);
    // Another site's form posting a state it was given itself carries no such cookie.
    assertThat(post(url("/signin/dev"), null, "state=" + state + "&principal=sam").statusCode())
        .isEqualTo(403);
    String cookie = ConsoleServlet.SIGN_IN_COOKIE + "=" + binding;
    assertThat(post(url("/signin/dev"), cookie, "state=" + state + "&principal=sam").statusCode())
        .isIn(302, 303);
    // Used once.
    assertThat(post(url("/signin/dev"), cookie, "state=" + state + "&principal=sam").statusCode())
        .isEqualTo(403);
    HttpResponse<String> again = get(url("/signin"), null);
    String fresh = ConsoleFixture.setCookie(again, ConsoleServlet.SIGN_IN_COOKIE);
    HttpResponse<String> nobody =
        post(
            url("/signin/dev"),
            ConsoleServlet.SIGN_IN_COOKIE + "=" + fresh,
            "state=" + fresh + "&principal=" + enc("<img src=x>"));
    assertThat(nobody.statusCode()).isEqualTo(400);
    assertThat(nobody.body()).contains("&lt;img src=x&gt;").doesNotContain("<img");
  }

  @Test
  void aDocumentIdOfMarkupIsRenderedInert() {
    console.read("alice", ConsoleFixture.SCRIPT_ID);
    SignedIn sam = console.signIn("sam");
    HttpResponse<String> audit =
        get(url("/audit?document=" + enc(ConsoleFixture.SCRIPT_ID)), sam.cookie());
    assertThat(audit.statusCode()).isEqualTo(200);
    assertThat(audit.body())
        .contains("eng-&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;")
        .doesNotContain("<script");
    HttpResponse<String> explain =
        get(
            url("/explain?principal=alice&document=" + enc(ConsoleFixture.SCRIPT_ID)),
            sam.cookie());
    assertThat(explain.body()).contains("permit").doesNotContain("<script");
    HttpResponse<String> echoed =
        get(
            url("/explain?principal=" + enc("\"><script>x()</script>") + "&document=d"),
            sam.cookie());
    assertThat(echoed.body()).contains("&quot;&gt;&lt;script&gt;").doesNotContain("<script");
  }

  @Test
  void theAuditPageFindsADeniedReadAndVerifiesTheChain() {
    console.read("alice", "hr-1"); // hidden from alice: answered as absent, audited as NOT_FOUND
    console.read("hannah", "hr-1");
    SignedIn audrey = console.signIn("audrey");
    HttpResponse<String> refused =
        get(url("/audit?principal=alice&document=hr-1&decision=refused"), audrey.cookie());
    assertThat(refused.body()).contains("id=\"chain\">intact");
    assertThat(rows(refused.body())).hasSize(1);
    assertThat(rows(refused.body()).getFirst())
        .contains("alice")
        .contains("get")
        .contains("NOT_FOUND");
    HttpResponse<String> allowed =
        get(url("/audit?document=hr-1&decision=allowed"), audrey.cookie());
    assertThat(rows(allowed.body())).isNotEmpty().allSatisfy(r -> assertThat(r).contains("hannah"));
    assertThat(get(url("/audit?decision=maybe"), audrey.cookie()).statusCode()).isEqualTo(400);
  }

  /** The rows of the records table. */
  static List<String> rows(String html) {
    String table = html.substring(html.indexOf("id=\"records\""));
    return List.of(table.split("<tr")).stream().skip(2).toList();
  }

  @Test
  void explainNamesTheDecisionAndThePolicies() {
    SignedIn sam = console.signIn("sam");
    String hannah = get(url("/explain?principal=hannah&document=hr-1"), sam.cookie()).body();
    assertThat(hannah)
        .contains("id=\"decision\">permit")
        .contains("hr-comp-readers-read-compensation");
    String alice = get(url("/explain?principal=alice&document=hr-1"), sam.cookie()).body();
    assertThat(alice).contains("id=\"decision\">deny");
    assertThat(get(url("/explain?principal=alice&document=hr-404"), sam.cookie()).body())
        .contains("document: no &#39;hr-404&#39; in the index");
    assertThat(get(url("/explain?principal=zed&document=hr-1"), sam.cookie()).body())
        .contains("principal: no &#39;zed&#39;");
  }

  @Test
  void theDiffOfAProposalShowsWhomItExposesAndRefusesTraversal() throws Exception {
    Path widen = console.propose("widen");
    Files.writeString(
        widen.resolve("policies/50-widen.yaml"),
        """
        - id: everyone-reads-internal
          effect: allow
          actions: [read]
          when: "doc.classification == 'internal'"
        """);
    Path broken = console.propose("broken");
    Files.writeString(
        broken.resolve("policies/50-broken.yaml"),
        "- id: broken\n  effect: allow\n  actions: [read]\n  when: \"doc.colour == 'red'\"\n");
    SignedIn sam = console.signIn("sam");
    String csrf = sam.csrf();
    String diff = post(url("/diff"), sam.cookie(), "csrf=" + csrf + "&path=widen").body();
    assertThat(diff).contains("id=\"diff\"").contains("eng-1").contains("harry");
    String bad = post(url("/diff"), sam.cookie(), "csrf=" + csrf + "&path=broken").body();
    assertThat(bad).containsPattern("policies/50-broken\\.yaml:4:\\d+");
    String traversal =
        post(url("/diff"), sam.cookie(), "csrf=" + csrf + "&path=" + enc("../proposals/widen"))
            .body();
    assertThat(traversal).contains("path: expected the name of a directory");

    SignedIn audrey = console.signIn("audrey"); // audit only: a diff needs admin
    String denied =
        post(url("/diff"), audrey.cookie(), "csrf=" + audrey.csrf() + "&path=widen").body();
    assertThat(denied).contains("may not review policy changes").doesNotContain("eng-1");
  }

  @Test
  void thePolicyPageShowsThePackAndItsValidation() {
    SignedIn audrey = console.signIn("audrey");
    String body = get(url("/policies"), audrey.cookie()).body();
    assertThat(body).contains("id=\"validation\">valid: ").contains("(the set in force)");
    assertThat(body).contains("auditors-audit").contains("security-admins-administer");
  }

  @Test
  void modelsAreListedOnlyWhereTheirLineagePermitsReadModel() {
    SignedIn audrey = console.signIn("audrey");
    String models = get(url("/models"), audrey.cookie()).body();
    assertThat(models).contains("m-eng").contains("classification=internal");
    assertThat(models).doesNotContain("m-hr");
    String sam = get(url("/models"), console.signIn("sam").cookie()).body();
    assertThat(sam).doesNotContain("m-eng").doesNotContain("m-hr"); // no read_model for sam
  }

  @Test
  void theJobsPageSaysWhenNoTrainerIsConfigured() {
    String jobs = get(url("/jobs"), console.signIn("sam").cookie()).body();
    assertThat(jobs).contains("No trainer is configured");
  }

  @Test
  void theJudgmentPageShowsTheSignedInUsersQueue() {
    SignedIn sam = console.signIn("sam");
    String none = get(url("/judgments?task=nope"), sam.cookie()).body();
    assertThat(none).contains("no task &#39;nope&#39; that you may see");
  }
}
