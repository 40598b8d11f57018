package dev.anvil.judge.internal;

import dev.anvil.judge.Agreement;
import dev.anvil.judge.AgreementReport;
import dev.anvil.judge.FinalLabel;
import dev.anvil.judge.Item;
import dev.anvil.judge.ItemState;
import dev.anvil.judge.Judgment;
import dev.anvil.judge.Status;
import dev.anvil.judge.Task;
import dev.anvil.judge.internal.JudgmentRows.Adjudication;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeMap;
import java.util.TreeSet;

/**
 * A task's items with their judgments and adjudications, read in one transaction: where each item
 * stands, its final label, and the task's agreement.
 *
 * <p>An item is OPEN until it has {@code overlap} submitted labels; then FINAL if they are all
 * equal (agreed), else DISPUTED until an adjudicator settles it (FINAL, adjudicated).
 */
public record TaskState(
    Task task,
    List<Item> items,
    Map<String, List<Judgment>> judgments,
    Map<String, Adjudication> adjudications) {
  /** The label scale's size: 0 to 3. */
  private static final int CATEGORIES = Judgment.MAX_LABEL - Judgment.MIN_LABEL + 1;

  /** Reads a task's state. */
  public static TaskState load(Connection c, Task task) throws SQLException {
    Map<String, List<Judgment>> byItem = new TreeMap<>();
    for (Judgment j : JudgmentRows.ofTask(c, task.id())) {
      byItem.computeIfAbsent(j.itemId(), k -> new ArrayList<>()).add(j);
    }
    return new TaskState(
        task, TaskRows.items(c, task.id()), byItem, JudgmentRows.adjudicationsOfTask(c, task.id()));
  }

  /** The submitted judgments of an item. */
  public List<Judgment> submitted(String itemId) {
    return submitted(judgments.getOrDefault(itemId, List.of()));
  }

  /** The submitted ones of {@code judgments}. */
  public static List<Judgment> submitted(List<Judgment> judgments) {
    return judgments.stream().filter(j -> j.status() == Status.SUBMITTED).toList();
  }

  /** The judgment of {@code subject} for an item, if any. */
  public Optional<Judgment> of(String itemId, String subject) {
    return judgments.getOrDefault(itemId, List.of()).stream()
        .filter(j -> j.annotator().subject().equals(subject))
        .findFirst();
  }

  /** Where an item stands. */
  public ItemState state(String itemId) {
    return state(
        task.overlap(),
        judgments.getOrDefault(itemId, List.of()),
        adjudications.containsKey(itemId));
  }

  /** Where an item with these judgments stands. */
  public static ItemState state(int overlap, List<Judgment> judgments, boolean adjudicated) {
    if (adjudicated) {
      return ItemState.FINAL;
    }
    List<Judgment> s = submitted(judgments);
    if (s.size() < overlap) {
      return ItemState.OPEN;
    }
    return s.stream().map(Judgment::label).distinct().count() == 1
        ? ItemState.FINAL
        : ItemState.DISPUTED;
  }

  /** The final label of an item, if it has one. */
  public Optional<FinalLabel> finalLabel(Item item) {
    return finalLabel(
        item,
        task.overlap(),
        judgments.getOrDefault(item.id(), List.of()),
        Optional.ofNullable(adjudications.get(item.id())));
  }

  /** The final label of an item with these judgments and adjudication, if it has one. */
  public static Optional<FinalLabel> finalLabel(
      Item item, int overlap, List<Judgment> judgments, Optional<Adjudication> adjudication) {
    if (state(overlap, judgments, adjudication.isPresent()) != ItemState.FINAL) {
      return Optional.empty();
    }
    List<Judgment> s = submitted(judgments);
    List<String> who = new ArrayList<>(s.stream().map(j -> j.annotator().subject()).toList());
    int label;
    FinalLabel.Basis basis;
    String sha;
    if (adjudication.isPresent()) {
      who.add(adjudication.get().adjudicator().subject());
      label = adjudication.get().label();
      basis = FinalLabel.Basis.ADJUDICATED;
      sha = adjudication.get().textSha256();
    } else {
      label = s.getFirst().label();
      basis = FinalLabel.Basis.AGREED;
      sha = s.getFirst().textSha256();
    }
    Map<String, Object> tags = s.isEmpty() ? item.tags() : s.getFirst().tags();
    return Optional.of(
        new FinalLabel(
            item.id(),
            item.taskId(),
            item.query(),
            item.documentId(),
            item.chunk(),
            sha,
            label,
            basis,
            who,
            tags));
  }

  /** The task's agreement, from submitted labels. */
  public AgreementReport agreement() {
    int complete = 0;
    int agreed = 0;
    int disputed = 0;
    List<int[]> fleissRows = new ArrayList<>();
    Map<String, Map<String, Integer>> byAnnotator = new TreeMap<>();
    for (Item item : items) {
      List<Judgment> s = submitted(item.id());
      for (Judgment j : s) {
        byAnnotator
            .computeIfAbsent(j.annotator().subject(), k -> new TreeMap<>())
            .put(item.id(), j.label());
      }
      if (s.size() >= task.overlap()) {
        complete++;
        switch (state(item.id())) {
          case FINAL -> {
            if (!adjudications.containsKey(item.id())) {
              agreed++;
            }
          }
          case DISPUTED -> disputed++;
          case OPEN -> {}
        }
        if (s.size() == task.overlap() && task.overlap() >= 2) {
          int[] row = new int[CATEGORIES];
          s.forEach(j -> row[j.label()]++);
          fleissRows.add(row);
        }
      }
    }
    OptionalDouble fleiss =
        fleissRows.isEmpty()
            ? OptionalDouble.empty()
            : Agreement.fleiss(fleissRows.toArray(int[][]::new));
    return new AgreementReport(
        task.id(),
        task.overlap(),
        items.size(),
        complete,
        agreed,
        disputed,
        adjudications.size(),
        fleiss,
        pairs(byAnnotator));
  }

  private static List<AgreementReport.Pair> pairs(Map<String, Map<String, Integer>> byAnnotator) {
    List<String> who = new ArrayList<>(new TreeSet<>(byAnnotator.keySet()));
    List<AgreementReport.Pair> out = new ArrayList<>();
    for (int x = 0; x < who.size(); x++) {
      for (int y = x + 1; y < who.size(); y++) {
        Map<String, Integer> a = byAnnotator.get(who.get(x));
        Map<String, Integer> b = byAnnotator.get(who.get(y));
        List<String> both = a.keySet().stream().filter(b::containsKey).toList();
        if (both.isEmpty()) {
          continue;
        }
        int[] la = both.stream().mapToInt(a::get).toArray();
        int[] lb = both.stream().mapToInt(b::get).toArray();
        out.add(
            new AgreementReport.Pair(
                who.get(x), who.get(y), both.size(), Agreement.cohen(la, lb, CATEGORIES)));
      }
    }
    return out;
  }
}
