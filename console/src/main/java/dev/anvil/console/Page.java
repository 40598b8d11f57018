package dev.anvil.console;

import dev.anvil.console.Sessions.Session;
import dev.anvil.context.grpc.CallAudit;
import jakarta.servlet.http.HttpServletRequest;
import java.util.List;

/**
 * One request of a signed-in user allowed into the console: what the pages read and who asks.
 *
 * @param admin whether the user may {@code admin} (else {@code audit} only: nothing that changes)
 */
record Page(
    ConsoleServer.Backend backend,
    ConsoleServer.Options options,
    Session session,
    boolean admin,
    CallAudit calls,
    HttpServletRequest request) {

  /** A request parameter, trimmed, or empty; at most {@code max} characters (else refused). */
  String param(String name, int max) {
    String v = request.getParameter(name);
    if (v == null) {
      return "";
    }
    v = v.strip();
    if (v.length() > max) {
      throw new BadInput(name + ": at most " + max + " characters, was " + v.length());
    }
    return v;
  }

  /** Records what the user did in the engine's audit log. */
  void audit(String action, String digest, List<String> ids, String status) {
    calls.record(
        session.identity(),
        action,
        digest,
        ids,
        backend.engine().policies().current().version(),
        "",
        status,
        ConsoleServlet.VIA);
  }

  /** Input the page refuses: shown to the user, with what and where. */
  static final class BadInput extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadInput(String message) {
      super(message);
    }
  }
}
