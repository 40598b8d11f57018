package dev.anvil.console;

import dev.anvil.rbac.PrincipalDirectory;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.nio.charset.StandardCharsets;

/** The frame of every page, the sign-in page, and the style sheet. */
final class Layout {
  private Layout() {}

  private static final String CSS =
      """
      body{font-family:system-ui,sans-serif;margin:0;color:#1b1f24}
      header{background:#1b2a3a;color:#fff;padding:.6em 1em;display:flex;gap:1.2em;align-items:center}
      header a{color:#cfe3ff;text-decoration:none} header form{margin-left:auto}
      main{padding:1em 1.5em} table{border-collapse:collapse;margin:.5em 0}
      td,th{border:1px solid #ccd;padding:.25em .5em;text-align:left;vertical-align:top;font-size:.92em}
      th{background:#eef2f7} .ok{color:#106010} .bad{color:#a01010;font-weight:bold}
      .note{background:#fff8dc;border:1px solid #e8d48a;padding:.5em} code,pre{font-size:.9em}
      form.inline{display:inline} input[type=text]{width:16em}
      """;

  static void css(HttpServletResponse res) throws IOException {
    res.setContentType("text/css");
    res.setCharacterEncoding("UTF-8");
    res.setHeader("Cache-Control", "max-age=3600");
    res.getOutputStream().write(CSS.getBytes(StandardCharsets.UTF_8));
  }

  /** A page of the console around {@code body}. */
  static void write(HttpServletResponse res, Page page, Html body) throws IOException {
    Html h = new Html();
    h.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<title>Anvil console</title><link rel=\"stylesheet\" href=\"/console.css\"></head>")
        .raw("<body><header><strong>Anvil console</strong>")
        .raw("<a href=\"/policies\">Policies</a><a href=\"/diff\">Diff</a>")
        .raw("<a href=\"/explain\">Explain</a><a href=\"/audit\">Audit</a>")
        .raw("<a href=\"/models\">Models</a><a href=\"/jobs\">Jobs</a>")
        .raw("<a href=\"/judgments\">Judgments</a>")
        .raw("<form class=\"inline\" method=\"post\" action=\"/signout\"><span id=\"whoami\">")
        .text(page.session().identity().username())
        .raw(page.admin() ? " (admin)" : " (audit)")
        .raw("</span> ")
        .hidden("csrf", page.session().csrf())
        .raw("<button type=\"submit\">Sign out</button></form></header><main>")
        .raw(body.toString())
        .raw("</main></body></html>");
    send(res, h);
  }

  /** A page with one message and nothing else (refusals). */
  static void bare(HttpServletResponse res, String escapedMessage) throws IOException {
    Html h = new Html();
    h.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Anvil console")
        .raw("</title></head><body><p id=\"message\">")
        .raw(escapedMessage)
        .raw("</p></body></html>");
    send(res, h);
  }

  /** The development sign-in: pick a principal of principals.yaml. */
  static void devSignIn(HttpServletResponse res, PrincipalDirectory people, String state)
      throws IOException {
    Html h = new Html();
    h.raw("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\">")
        .raw("<title>Sign in (development)</title>")
        .raw("<link rel=\"stylesheet\" href=\"/console.css\"></head><body><main>")
        .raw("<h1>Sign in (development issuer)</h1><p class=\"note\">This server runs with")
        .raw(" <code>--dev</code>: pick a principal of principals.yaml; the development issuer")
        .raw(" signs its token. Never use this in production.</p>")
        .raw("<form method=\"post\" action=\"/signin/dev\">")
        .hidden("state", state)
        .raw("<select name=\"principal\" id=\"principal\">");
    for (String name : new java.util.TreeSet<>(people.names())) {
      h.raw("<option").attr("value", name).raw(">").text(name);
      people.description(name).ifPresent(d -> h.raw(" — ").text(d));
      h.raw("</option>");
    }
    h.raw("</select> <button type=\"submit\" id=\"sign-in\">Sign in</button></form>")
        .raw("</main></body></html>");
    send(res, h);
  }

  private static void send(HttpServletResponse res, Html h) throws IOException {
    res.setContentType("text/html");
    res.setCharacterEncoding("UTF-8");
    res.getOutputStream().write(h.toString().getBytes(StandardCharsets.UTF_8));
  }
}
