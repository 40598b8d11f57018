package dev.anvil.console;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.context.audit.AuditChain;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * The audit log: records found by principal, document and decision, newest first, and the result of
 * verifying its hash chain (as {@code anvil audit verify} does).
 */
final class AuditPage {
  private AuditPage() {}

  /** Most records shown. */
  static final int MAX_SHOWN = 200;

  /** One record as the page shows it. */
  record Row(
      long seq,
      String time,
      String subject,
      String agent,
      String action,
      String documents,
      String status,
      String detail) {}

  static Html render(Page page) {
    String principal = page.param("principal", 256);
    String document = page.param("document", dev.anvil.context.api.Document.MAX_ID_LENGTH);
    String decision = page.param("decision", 16);
    if (!decision.isEmpty() && !decision.equals("allowed") && !decision.equals("refused")) {
      throw new Page.BadInput("decision: expected allowed or refused, was '" + decision + "'");
    }
    Path active = page.backend().audit().file();
    Html h = new Html();
    h.el("h1", "Audit log").raw("<p>Hash chain: ");
    switch (AuditChain.verify(active)) {
      case AuditChain.Intact i ->
          h.raw("<span class=\"ok\" id=\"chain\">intact: ")
              .text(i.records() + " records, head " + i.head().seq() + ":" + i.head().sha256())
              .raw("</span>");
      case AuditChain.Broken b ->
          h.raw("<span class=\"bad\" id=\"chain\">broken: ").text(b).raw("</span>");
    }
    h.raw("</p><form method=\"get\" action=\"/audit\">")
        .input("principal", "principal", principal)
        .input("document", "document", document)
        .raw("<label>decision <select name=\"decision\" id=\"decision\">");
    for (String d : List.of("", "allowed", "refused")) {
      h.raw("<option").attr("value", d).raw(d.equals(decision) ? " selected>" : ">");
      h.text(d.isEmpty() ? "any" : d).raw("</option>");
    }
    h.raw("</select></label> <button type=\"submit\" id=\"search\">Search</button></form>");
    List<Row> rows = search(active, principal, document, decision);
    page.audit("console_audit_search", "", List.of(), "OK");
    h.raw("<table id=\"records\">")
        .head("seq", "time", "subject", "agent", "action", "documents", "status", "detail");
    for (Row r : rows) {
      h.raw("<tr" + (r.status().equals("OK") ? "" : " class=\"bad\"") + ">");
      for (Object c :
          List.of(
              r.seq(),
              r.time(),
              r.subject(),
              r.agent(),
              r.action(),
              r.documents(),
              r.status(),
              r.detail())) {
        h.el("td", c);
      }
      h.raw("</tr>");
    }
    h.raw("</table>");
    if (rows.size() == MAX_SHOWN) {
      h.el("p", "The newest " + MAX_SHOWN + " matching records; narrow the search for older ones.");
    }
    return h;
  }

  /** The newest {@value #MAX_SHOWN} matching records, newest first. */
  static List<Row> search(Path active, String principal, String document, String decision) {
    Deque<Row> kept = new ArrayDeque<>();
    for (Path f : AuditChain.files(active)) {
      try (BufferedReader in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        String line;
        while ((line = in.readLine()) != null) {
          Row r = parse(line);
          if (r != null && matches(r, line, principal, document, decision)) {
            kept.addFirst(r);
            if (kept.size() > MAX_SHOWN) {
              kept.removeLast();
            }
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the audit log " + f, e);
      }
    }
    return new ArrayList<>(kept);
  }

  private static boolean matches(
      Row r, String line, String principal, String document, String decision) {
    if (!principal.isEmpty()
        && !r.subject().equals(principal)
        && !line.contains("\"username\":" + quoted(principal))) {
      return false;
    }
    if (!document.isEmpty() && !List.of(r.documents().split(", ")).contains(document)) {
      return false;
    }
    return switch (decision) {
      case "allowed" -> r.status().equals("OK");
      case "refused" -> !r.status().equals("OK");
      default -> true;
    };
  }

  private static String quoted(String s) {
    return new com.google.gson.JsonPrimitive(s).toString();
  }

  /** A record, or null for a line that is not one (a line cut short by a crash). */
  private static Row parse(String line) {
    try {
      JsonObject o = JsonParser.parseString(line).getAsJsonObject();
      List<String> ids = new ArrayList<>();
      if (o.get("document_ids") != null && o.get("document_ids").isJsonArray()) {
        for (JsonElement e : o.getAsJsonArray("document_ids")) {
          ids.add(e.getAsString());
        }
      }
      return new Row(
          o.has("seq") ? o.get("seq").getAsLong() : 0,
          str(o, "time"),
          str(o, "subject"),
          str(o, "agent"),
          str(o, "action"),
          String.join(", ", ids),
          str(o, "status"),
          str(o, "detail"));
    } catch (RuntimeException e) {
      return null;
    }
  }

  private static String str(JsonObject o, String name) {
    JsonElement e = o.get(name);
    return e == null || e.isJsonNull() ? "" : e.getAsString();
  }
}
