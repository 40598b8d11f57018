package dev.anvil.cli;

import dev.anvil.rbac.diff.Breakdown;
import dev.anvil.rbac.diff.DiffReport;
import dev.anvil.rbac.diff.SubjectDiff;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** How {@code anvil policy diff} prints a report for people: a summary table, then the details. */
final class DiffTable {
  private final PrintWriter out;
  private final boolean all;

  /**
   * @param all list the subjects the change does not touch as rows too (else they are named in one
   *     line)
   */
  DiffTable(PrintWriter out, boolean all) {
    this.out = out;
    this.all = all;
  }

  /**
   * @param index where the documents were counted, as people read it ({@code the index at DIR})
   */
  void print(DiffReport r, Path oldPack, Path newPack, String index) {
    out.printf("policy diff over %s%n", index);
    out.printf("  in force: %s  %s%n", r.inForceVersion(), oldPack);
    out.printf("  proposed: %s  %s%n", r.proposedVersion(), newPack);
    out.printf(
        "  actions: %s; documents counted by %s; gate: %s%n%n",
        String.join(", ", r.actions().stream().map(Object::toString).toList()),
        String.join(", ", r.byTags()),
        r.gate().map(Object::toString).orElse("none (the schema has no ordered tag)"));

    List<SubjectDiff> changed = r.subjects().stream().filter(s -> !s.isEmpty()).toList();
    List<SubjectDiff> rows = all ? r.subjects() : changed;
    int width =
        Math.max(7, rows.stream().mapToInt(s -> s.subject().name().length()).max().orElse(0));
    if (!rows.isEmpty()) {
      out.printf(
          "%-" + width + "s  %-12s %8s %8s %8s%n",
          "SUBJECT",
          "ACTION",
          "EXPOSED",
          "HIDDEN",
          "AT GATE");
      for (SubjectDiff s : rows) {
        long atGate = r.gate().map(g -> g.count(s.exposed())).orElse(0L);
        out.printf(
            "%-" + width + "s  %-12s %8d %8d %8d%s%n",
            s.subject().name(),
            s.action(),
            s.exposed().documents(),
            s.hidden().documents(),
            atGate,
            atGate > 0 ? "  !" : "");
      }
    }
    long untouched = r.subjects().stream().filter(SubjectDiff::isEmpty).count();
    if (!all && untouched > 0) {
      out.printf(
          "%s%d of %d subject/action pairs unchanged (--all lists them)%n",
          rows.isEmpty() ? "" : "\n", untouched, r.subjects().size());
    }

    // Many subjects see the same change (a combination and its one principal, the engineers
    // among themselves): the details are printed once, and the others point to them.
    Map<List<Object>, String> printed = new HashMap<>();
    boolean pointed = false;
    for (SubjectDiff s : changed) {
      String first =
          printed.putIfAbsent(List.of(s.action(), s.exposed(), s.hidden()), s.subject().name());
      if (first != null) {
        out.printf(
            "%s%s · %s: the same documents as %s%n",
            pointed ? "" : "\n", s.subject().name(), s.action(), first);
        pointed = true;
        continue;
      }
      pointed = false;
      section(s, "newly exposed", s.exposed());
      section(s, "newly hidden", s.hidden());
    }

    out.println();
    if (r.isEmpty()) {
      out.println("no change: every subject may do exactly what it could before, on this index");
    }
    if (r.gate().isEmpty()) {
      return;
    }
    List<String> gated =
        r.gated().stream().map(s -> s.subject().name() + " (" + s.action() + ")").toList();
    if (gated.isEmpty()) {
      out.printf("gate passed: nothing newly exposed at %s%n", r.gate().get());
    } else {
      out.printf(
          "GATE FAILED: documents at %s newly exposed to %d subject%s: %s%n",
          r.gate().get(), gated.size(), gated.size() == 1 ? "" : "s", String.join(", ", gated));
    }
  }

  private void section(SubjectDiff s, String what, Breakdown b) {
    if (b.isEmpty()) {
      return;
    }
    out.printf(
        "%n%s · %s · %s: %d document%s (%s)%n",
        s.subject().name(),
        s.action(),
        what,
        b.documents(),
        b.documents() == 1 ? "" : "s",
        samples(b.samples(), b.documents()));
    int tagWidth = b.byTag().stream().mapToInt(t -> t.tag().length()).max().orElse(0);
    int valueWidth =
        b.byTag().stream()
            .flatMap(t -> t.buckets().stream())
            .mapToInt(x -> x.value().length())
            .max()
            .orElse(0);
    for (Breakdown.TagCounts t : b.byTag()) {
      String tag = t.tag();
      for (Breakdown.Bucket x : t.buckets()) {
        out.printf(
            "  %-" + tagWidth + "s  %-" + valueWidth + "s %6d  %s%n",
            tag,
            x.value(),
            x.documents(),
            samples(x.samples(), x.documents()));
        tag = ""; // the tag names its first bucket only: the rest read as its continuation
      }
    }
  }

  private static String samples(List<String> ids, long of) {
    String shown = String.join(", ", ids);
    return of > ids.size() ? (ids.isEmpty() ? "…" : shown + ", …") : shown;
  }
}
