package dev.anvil.judge;

import dev.anvil.judge.spi.Corpus;
import dev.anvil.judge.spi.CorpusChunk;
import dev.anvil.rbac.Action;
import dev.anvil.rbac.Decision;
import dev.anvil.rbac.PolicySet;
import dev.anvil.rbac.Principal;
import dev.anvil.rbac.schema.InvalidTagsException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** Who may do what with judgments: every decision of {@link Judging} in one place. */
final class Access {
  private Access() {}

  /** A chunk read now as the principal, its digest, and the permit to judge it. */
  record Live(CorpusChunk chunk, String sha256, Decision.Permit permit) {}

  /**
   * The item's chunk read now as {@code who}, who must be allowed to judge it.
   *
   * @throws NotFoundException if it is hidden from {@code who} (or gone): as for an absent item
   * @throws DeniedException if {@code who} may read it but the policy refuses {@code judge}
   */
  static Live judgeable(Corpus corpus, Principal who, Item item) {
    CorpusChunk chunk =
        corpus
            .chunk(who, item.documentId(), item.chunk())
            .orElseThrow(() -> NotFoundException.item(item.id()));
    PolicySet set = corpus.policies().current();
    Decision d;
    try {
      d = set.decide(who, Action.JUDGE, set.schema().validate(chunk.tags()));
    } catch (InvalidTagsException e) {
      throw NotFoundException.item(item.id()); // the engine serves no chunk with invalid tags
    }
    return switch (d) {
      case Decision.Permit p -> new Live(chunk, Judging.sha256(chunk.text()), p);
      case Decision.Deny deny ->
          throw new DeniedException(
              "judging item '" + item.id() + "' is denied by policy " + deny.policy());
    };
  }

  /**
   * Whether {@code who} may read and judge the item as its stored tags say (a first sieve: what is
   * offered is read again as {@code who} before it is shown).
   */
  static boolean mayJudgeStored(PolicySet set, Principal who, Item item) {
    return permitted(set, who, Action.READ, item.tags())
        && permitted(set, who, Action.JUDGE, item.tags());
  }

  static boolean permitted(PolicySet set, Principal who, Action action, Map<String, Object> tags) {
    try {
      return set.decide(who, action, set.schema().validate(tags)).permitted();
    } catch (InvalidTagsException e) {
      return false;
    }
  }

  /** The first {@code max} of {@code items} whose chunks {@code who} may read now. */
  static List<Item> liveOnly(Corpus corpus, Principal who, List<Item> items, int max) {
    List<Item> out = new ArrayList<>();
    for (Item item : items) {
      if (out.size() == max) {
        break;
      }
      Optional<CorpusChunk> c = corpus.chunk(who, item.documentId(), item.chunk());
      if (c.isPresent()
          && permitted(corpus.policies().current(), who, Action.JUDGE, c.get().tags())) {
        out.add(item);
      }
    }
    return out;
  }

  /** Refuses a label pinned on a text that has changed since it was shown. */
  static void checkSeen(String seenSha256, Live live) {
    if (!seenSha256.isEmpty() && !seenSha256.equals(live.sha256())) {
      throw new ConflictException(
          "the chunk changed since it was shown (it is now document version "
              + live.chunk().version()
              + "): show the item again and judge what it says now");
    }
  }

  static void requireRole(Principal who, Task task) {
    if (!who.roles().contains(task.adjudicatorRole())) {
      throw new DeniedException(
          "settling disagreements of task '"
              + task.id()
              + "' needs the role '"
              + task.adjudicatorRole()
              + "'");
    }
  }

  /** The task's creator, its adjudicators, and whoever may {@code admin}. */
  static void requireOverseer(PolicySet set, Principal who, Task task) {
    if (!who.subject().equals(task.creator())
        && !who.roles().contains(task.adjudicatorRole())
        && !set.decide(who, Action.ADMIN).permitted()) {
      throw new DeniedException(
          "the agreement of task '"
              + task.id()
              + "' is for its creator, its adjudicators (role '"
              + task.adjudicatorRole()
              + "') and administrators");
    }
  }

  static void checkSubject(Principal who) {
    if (who.subject().length() > Annotator.MAX_SUBJECT) {
      throw new DeniedException(
          "a subject of more than " + Annotator.MAX_SUBJECT + " characters cannot judge");
    }
  }
}
