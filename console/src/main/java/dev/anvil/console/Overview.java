package dev.anvil.console;

import dev.anvil.rbac.PolicySet;

/** The first page: who is signed in, and what the engine serves. */
final class Overview {
  private Overview() {}

  static Html render(Page page) {
    PolicySet set = page.backend().engine().policies().current();
    Html h = new Html();
    h.el("h1", "Overview")
        .raw("<table>")
        .row("Signed in as", page.session().identity().username())
        .row("Subject", page.session().identity().principal().subject())
        .row("Access", page.admin() ? "admin" : "audit (read-only)")
        .row("Policy set in force", set.version())
        .row("Policies", set.policies().size())
        .row("Serving model", page.backend().engine().modelId())
        .row("Chunks indexed", page.backend().engine().chunkCount())
        .row(
            "Trainer",
            page.backend().jobs().trainer().orElse("none configured (anvil serve --trainer)"))
        .raw("</table>");
    return h;
  }
}
