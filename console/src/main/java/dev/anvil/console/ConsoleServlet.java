package dev.anvil.console;

import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.anvil.console.Sessions.Pending;
import dev.anvil.console.Sessions.Session;
import dev.anvil.context.grpc.CallAudit;
import dev.anvil.identity.Identity;
import dev.anvil.identity.OidcClient;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import jakarta.servlet.http.Cookie;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every request of the console: security headers, sign-in (OIDC or development), the session
 * cookie, the {@code admin}/{@code audit} check on every request with the policy in force, the CSRF
 * token on every POST, then the page.
 */
final class ConsoleServlet extends HttpServlet {
  private static final long serialVersionUID = 1L;
  private static final Logger LOG = LoggerFactory.getLogger(ConsoleServlet.class);

  /** The session cookie. */
  static final String COOKIE = "anvil_console";

  /** The cookie binding a sign-in under way to the browser that started it. */
  static final String SIGN_IN_COOKIE = "anvil_console_sign_in";

  /** The audit detail of the console's records. */
  static final String VIA = "via=console";

  /** How long a development sign-in's token lives. */
  static final Duration DEV_TOKEN_TTL = Duration.ofHours(8);

  private final transient ConsoleServer.Backend backend;
  private final transient ConsoleServer.Options options;
  private final transient Sessions sessions;
  private final transient CallAudit calls;

  ConsoleServlet(
      ConsoleServer.Backend backend,
      ConsoleServer.Options options,
      Sessions sessions,
      Clock clock) {
    this.backend = backend;
    this.options = options;
    this.sessions = sessions;
    this.calls = new CallAudit(backend.engine(), backend.audit(), clock);
  }

  @Override
  protected void service(HttpServletRequest req, HttpServletResponse res) throws IOException {
    headers(res);
    String path = req.getRequestURI();
    String method = req.getMethod();
    try {
      switch (path) {
        case "/console.css" -> Layout.css(res);
        // A browser asks for it on its own: redirected to sign-in, it would start a second
        // sign-in whose cookie replaces the one of the form on screen.
        case "/favicon.ico" -> res.sendError(404);
        case "/signin" -> signIn(req, res);
        case "/signin/dev" -> devSignIn(req, res);
        case "/callback" -> callback(req, res);
        default -> signedIn(req, res, path, method);
      }
    } catch (RuntimeException e) {
      LOG.error("console: {} {}", method, path, e);
      res.sendError(500);
    }
  }

  private static void headers(HttpServletResponse res) {
    res.setHeader(
        "Content-Security-Policy",
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
            + " frame-ancestors 'none'; base-uri 'none'");
    res.setHeader("X-Content-Type-Options", "nosniff");
    res.setHeader("X-Frame-Options", "DENY");
    // The callback's URL holds the authorization code: it must not leak to another site.
    res.setHeader("Referrer-Policy", "no-referrer");
    res.setHeader("Cache-Control", "no-store");
  }

  private void signedIn(HttpServletRequest req, HttpServletResponse res, String path, String method)
      throws IOException {
    Optional<Session> found = sessions.find(cookie(req, COOKIE));
    if (found.isEmpty()) {
      if (method.equals("GET")) {
        res.sendRedirect("/signin");
      } else {
        forbidden(res);
      }
      return;
    }
    Session s = found.get();
    Principal who = s.identity().principal();
    PolicySet set = backend.engine().policies().current();
    boolean admin = set.decide(who, Action.ADMIN).permitted();
    if (!admin && !set.decide(who, Action.AUDIT).permitted()) {
      // Decided on every request: a policy change applies at once. The answer names nothing.
      calls.record(
          s.identity(), "console", "", List.of(), set.version(), "", "PERMISSION_DENIED", VIA);
      forbidden(res);
      return;
    }
    if (method.equals("POST") && !Sessions.same(req.getParameter("csrf"), s.csrf())) {
      calls.record(
          s.identity(), "console_csrf", "", List.of(), set.version(), "", "PERMISSION_DENIED", VIA);
      res.setStatus(403);
      Layout.bare(res, "Refused: the form's CSRF token is missing or wrong. Reload the page.");
      return;
    }
    Page page = new Page(backend, options, s, admin, calls, req);
    Html body;
    try {
      body = route(page, s, res, method + " " + path);
    } catch (Page.BadInput e) {
      res.setStatus(400);
      body = new Html().raw("<p class=\"bad\" id=\"error\">").text(e.getMessage()).raw("</p>");
    }
    if (body == null) {
      if (!res.isCommitted()) {
        res.sendError(404);
      }
      return;
    }
    Layout.write(res, page, body);
  }

  private Html route(Page page, Session s, HttpServletResponse res, String route)
      throws IOException {
    return switch (route) {
      case "GET /" -> Overview.render(page);
      case "GET /policies" -> PolicyPages.pack(page);
      case "GET /diff" -> PolicyPages.diffForm(page);
      case "POST /diff" -> PolicyPages.diff(page);
      case "GET /explain" -> PolicyPages.explain(page);
      case "GET /audit" -> AuditPage.render(page);
      case "GET /models" -> RegistryPages.models(page);
      case "GET /jobs" -> RegistryPages.jobs(page);
      case "GET /judgments" -> JudgmentPage.render(page);
      case "POST /signout" -> {
        sessions.close(s.id());
        res.addHeader(
            "Set-Cookie", COOKIE + "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict");
        res.sendRedirect("/signin");
        yield null;
      }
      default -> null;
    };
  }

  private static void forbidden(HttpServletResponse res) throws IOException {
    res.setStatus(403);
    Layout.bare(res, "403 Forbidden");
  }

  // --- signing in ---

  private void signIn(HttpServletRequest req, HttpServletResponse res) throws IOException {
    if (!req.getMethod().equals("GET")) {
      res.sendError(405);
      return;
    }
    Optional<Pending> p = sessions.begin(callbackUri(req));
    if (p.isEmpty()) {
      res.sendError(503, "too many sign-ins under way; try again shortly");
      return;
    }
    switch (options.signIn()) {
      case SignIn.Oidc oidc -> {
        // The callback must come back to the browser that started the sign-in: otherwise a
        // callback URL of someone else's sign-in would sign this browser in as them. Lax, not
        // Strict: the callback is a top-level navigation from the issuer's site.
        res.addHeader(
            "Set-Cookie",
            SIGN_IN_COOKIE
                + "="
                + p.get().state()
                + "; Path=/callback; Max-Age=600; HttpOnly; Secure; SameSite=Lax");
        URI endpoint = oidc.issuer().authorizationEndpoint();
        String url =
            endpoint
                + (endpoint.getQuery() == null ? "?" : "&")
                + "response_type=code&scope=openid"
                + "&client_id="
                + enc(oidc.clientId())
                + "&redirect_uri="
                + enc(p.get().redirectUri())
                + "&state="
                + enc(p.get().state())
                + "&nonce="
                + enc(p.get().nonce())
                + "&code_challenge="
                + enc(OidcClient.codeChallenge(p.get().codeVerifier()))
                + "&code_challenge_method=S256";
        res.sendRedirect(url);
      }
      case SignIn.Dev dev -> {
        res.addHeader(
            "Set-Cookie",
            SIGN_IN_COOKIE
                + "="
                + p.get().state()
                + "; Path=/signin/dev; HttpOnly; Secure; SameSite=Strict");
        Layout.devSignIn(res, dev.people(), p.get().state());
      }
    }
  }

  private void devSignIn(HttpServletRequest req, HttpServletResponse res) throws IOException {
    if (!(options.signIn() instanceof SignIn.Dev dev) || !req.getMethod().equals("POST")) {
      res.sendError(404);
      return;
    }
    String state = req.getParameter("state");
    // The form's state must be the one this browser was given, and unused: no cross-site sign-in.
    if (!Sessions.same(state, cookie(req, SIGN_IN_COOKIE)) || sessions.complete(state).isEmpty()) {
      res.setStatus(403);
      Layout.bare(res, "Refused: this sign-in expired or was not started here. Sign in again.");
      return;
    }
    String name = String.valueOf(req.getParameter("principal"));
    Optional<Principal> who = dev.people().find(name);
    if (who.isEmpty()) {
      res.setStatus(400);
      Layout.bare(res, "No principal '" + Html.escape(name) + "' in principals.yaml.");
      return;
    }
    String token = dev.issuer().mint(who.get(), SignIn.AUDIENCE, DEV_TOKEN_TTL, SignIn.AUDIENCE);
    start(res, dev.verifier().verify(token), token);
  }

  private void callback(HttpServletRequest req, HttpServletResponse res) throws IOException {
    if (!(options.signIn() instanceof SignIn.Oidc oidc)) {
      res.sendError(404);
      return;
    }
    String state = req.getParameter("state");
    Optional<Pending> p =
        Sessions.same(state, cookie(req, SIGN_IN_COOKIE))
            ? sessions.complete(state)
            : Optional.empty();
    if (p.isEmpty()) {
      res.setStatus(400);
      Layout.bare(res, "Refused: unknown or expired sign-in state. Sign in again.");
      return;
    }
    String code = req.getParameter("code");
    if (code == null) {
      res.setStatus(400);
      Layout.bare(
          res, "Sign-in failed: " + Html.escape(String.valueOf(req.getParameter("error"))) + ".");
      return;
    }
    OidcClient.CodeTokens tokens;
    Identity identity;
    try {
      tokens =
          oidc.issuer()
              .authorizationCode(
                  oidc.clientId(),
                  oidc.clientSecret(),
                  code,
                  p.get().redirectUri(),
                  p.get().codeVerifier());
      checkIdToken(oidc, tokens.idToken(), p.get().nonce());
      identity = oidc.verifier().verify(tokens.accessToken());
    } catch (RuntimeException e) {
      LOG.warn("console sign-in refused: {}", e.getMessage());
      res.setStatus(403);
      Layout.bare(res, "Sign-in refused: " + Html.escape(e.getMessage()));
      return;
    }
    start(res, identity, tokens.accessToken());
  }

  /**
   * The ID token must be the issuer's, for this client, and carry this sign-in's nonce: a code or
   * token replayed from another sign-in is refused. (It came straight from the token endpoint over
   * the issuer's TLS; the access token, which grants everything, is verified in full.)
   */
  static void checkIdToken(SignIn.Oidc oidc, String idToken, String nonce) {
    if (idToken.isEmpty()) {
      throw new IllegalArgumentException("the issuer returned no ID token (scope openid)");
    }
    JWTClaimsSet claims;
    try {
      claims = SignedJWT.parse(idToken).getJWTClaimsSet();
    } catch (java.text.ParseException e) {
      throw new IllegalArgumentException("the ID token is not a JWS: " + e.getMessage(), e);
    }
    Object got = claims.getClaim("nonce");
    if (!Sessions.same(String.valueOf(got), nonce)) {
      throw new IllegalArgumentException("nonce: the ID token is not of this sign-in");
    }
    if (!oidc.issuerId().equals(claims.getIssuer())) {
      throw new IllegalArgumentException(
          "issuer: expected " + oidc.issuerId() + ", was " + claims.getIssuer());
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(oidc.clientId())) {
      throw new IllegalArgumentException(
          "audience: expected " + oidc.clientId() + ", was " + claims.getAudience());
    }
  }

  private void start(HttpServletResponse res, Identity identity, String token) throws IOException {
    Optional<Session> s = sessions.open(identity, token, identity.expiresAt());
    if (s.isEmpty()) {
      res.sendError(503, "too many sessions; try again shortly");
      return;
    }
    calls.record(
        identity,
        "console_sign_in",
        "",
        List.of(),
        backend.engine().policies().current().version(),
        "",
        "OK",
        VIA);
    res.addHeader(
        "Set-Cookie", COOKIE + "=" + s.get().id() + "; Path=/; HttpOnly; Secure; SameSite=Strict");
    res.sendRedirect("/");
  }

  private String callbackUri(HttpServletRequest req) {
    String base =
        options
            .publicUrl()
            .map(u -> u.toString().replaceAll("/+$", ""))
            .orElseGet(() -> req.getScheme() + "://" + hostPort(req));
    return base + "/callback";
  }

  private static String hostPort(HttpServletRequest req) {
    String host = req.getServerName();
    if (host.contains(":")) {
      host = "[" + host + "]";
    }
    return host + ":" + req.getServerPort();
  }

  static String cookie(HttpServletRequest req, String name) {
    Cookie[] all = req.getCookies();
    if (all == null) {
      return null;
    }
    for (Cookie c : all) {
      if (c.getName().equals(name)) {
        return c.getValue();
      }
    }
    return null;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }
}
