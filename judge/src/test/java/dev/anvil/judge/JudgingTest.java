package dev.anvil.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.anvil.store.TestStores.Backend;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Judgments as an annotator would meet them, and as an attacker would try them, on the embedded
 * store and on PostgreSQL alike.
 */
class JudgingTest {
  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aJudgmentRecordsTheVerifiedAnnotatorAndTheChunkAsJudged(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Task task = f.task("deploys", 2, "mia");
      Item cache = f.item(task, "eng/cache");
      ItemView shown = f.judging.item(Fixture.who("ada"), cache.id());
      assertThat(shown.text()).isEqualTo("The cache is invalidated on every deploy.");
      Judgment j =
          f.judging.label(
              Fixture.who("ada"),
              new LabelRequest(cache.id(), 3, Status.SUBMITTED, "exactly this", shown.textSha256()),
              Source.EXPERT);
      assertThat(j.annotator().subject()).isEqualTo("ada");
      assertThat(j.annotator().roles()).containsExactly("annotator", "employee");
      assertThat(j.query()).isEqualTo("how do we deploy");
      assertThat(j.documentId()).isEqualTo("eng/cache");
      assertThat(j.documentVersion()).isEqualTo(3);
      assertThat(j.textSha256())
          .isEqualTo(Judging.sha256("The cache is invalidated on every deploy."));
      assertThat(j.label()).isEqualTo(3);
      assertThat(j.source()).isEqualTo(Source.EXPERT);
      assertThat(j.status()).isEqualTo(Status.SUBMITTED);
      assertThat(j.rationale()).isEqualTo("exactly this");
      assertThat(j.modelId()).isEqualTo("memory-model");
      assertThat(j.resultPolicyVersion()).isEqualTo(f.policies.current().version());
      assertThat(j.policyVersion()).isEqualTo(f.policies.current().version());
      assertThat(j.rank()).isEqualTo(cache.rank()).isBetween(1, 3);
      assertThat(j.tags()).containsEntry("classification", "internal");
      assertThat(f.judging.item(Fixture.who("ada"), cache.id()).mine()).contains(j);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aTaskHoldsOnlyWhatItsCreatorMayRead(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Task task = f.task("deploys", 2, "mia");
      assertThat(task.items()).isEqualTo(3);
      assertThatThrownBy(() -> f.item(task, "hr/bands")).isInstanceOf(AssertionError.class);
      assertThatThrownBy(() -> f.task("by-ada", 2, "ada"))
          .isInstanceOf(DeniedException.class)
          .hasMessage("creating a judging task needs submit: denied by default-deny");
      assertThatThrownBy(() -> f.task("deploys", 2, "mia"))
          .isInstanceOf(ConflictException.class)
          .hasMessage("task id 'deploys' is taken");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aHiddenChunkAnswersExactlyLikeAnAbsentItem(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Task task = f.task("deploys", 2, "mia");
      String hidden = f.item(task, "eng/keys").id(); // confidential: abe is cleared for internal
      String absent = "it-00000000000000000000000000000000";
      for (String id : List.of(hidden, absent)) {
        for (Runnable attempt :
            List.<Runnable>of(
                () -> f.judging.item(Fixture.who("abe"), id),
                () -> f.submit("abe", itemNamed(id), 2),
                () -> f.judging.discard(Fixture.who("abe"), id))) {
          assertThatThrownBy(attempt::run)
              .isInstanceOf(NotFoundException.class)
              .hasMessage("no item '" + id + "' that you may judge");
        }
      }
      assertThat(f.judging.queue(Fixture.who("abe"), "deploys", 10))
          .extracting(Item::documentId)
          .containsExactly("eng/cache");
    }
  }

  private static Item itemNamed(String id) {
    return new Item(
        id,
        "t",
        "q",
        "d",
        0,
        1,
        "",
        java.util.Map.of(),
        1,
        java.util.Map.of(),
        new ItemValue(0, 0, 0, 0),
        "",
        "");
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void whatOneMayReadButNotJudgeIsDeniedNamingThePolicy(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Task task = f.task("deploys", 2, "mia");
      Item prices =
          f.item(task, "fin/prices"); // public: ada reads it, but it is not her department
      assertThatThrownBy(() -> f.submit("ada", prices, 1))
          .isInstanceOf(DeniedException.class)
          .hasMessage("judging item '" + prices.id() + "' is denied by policy default-deny");
      assertThatThrownBy(() -> f.submit("alice", f.item(task, "eng/cache"), 1))
          .isInstanceOf(DeniedException.class); // alice reads engineering, but is no annotator
      assertThat(f.judging.queue(Fixture.who("ada"), "deploys", 10))
          .extracting(Item::documentId)
          .containsExactlyInAnyOrder("eng/cache", "eng/keys");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void labellingAgainChangesTheAnnotatorsOneJudgment(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Item cache = f.item(f.task("deploys", 2, "mia"), "eng/cache");
      Judgment draft =
          f.judging.label(
              Fixture.who("ada"),
              new LabelRequest(cache.id(), 1, Status.DRAFT, "", ""),
              Source.EXPERT);
      Judgment sent = f.submit("ada", cache, 2);
      assertThat(sent.id()).isEqualTo(draft.id());
      assertThat(sent.createdAt()).isEqualTo(draft.createdAt());
      ItemView v = f.judging.item(Fixture.who("andy"), cache.id());
      assertThat(v.submitted()).isEqualTo(1);
      assertThat(v.mine()).isEmpty();
      assertThat(v.state()).isEqualTo(ItemState.OPEN);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aChunkChangedSinceItWasShownIsNotJudgedBlind(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Item cache = f.item(f.task("deploys", 2, "mia"), "eng/cache");
      String seen = f.judging.item(Fixture.who("ada"), cache.id()).textSha256();
      f.corpus.put("eng/cache", 0, 4, "The cache is never invalidated.", Fixture.ENG_INTERNAL);
      assertThatThrownBy(
              () ->
                  f.judging.label(
                      Fixture.who("ada"),
                      new LabelRequest(cache.id(), 3, Status.SUBMITTED, "", seen),
                      Source.EXPERT))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining("changed since it was shown (it is now document version 4)");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void boundsAreRefusedNamingTheField(Backend backend) {
    assertThatThrownBy(() -> new LabelRequest("it-1", 4, Status.SUBMITTED, "", ""))
        .isInstanceOf(InvalidJudgmentException.class)
        .hasMessage("label: expected 0 to 3, was 4");
    assertThatThrownBy(() -> new LabelRequest("it-1", 2, Status.SUBMITTED, "x".repeat(2001), ""))
        .hasMessage("rationale: at most 2000 characters, was 2001");
    assertThatThrownBy(() -> new LabelRequest("x".repeat(65), 2, Status.SUBMITTED, "", ""))
        .hasMessageStartingWith("item_id:");
    assertThatThrownBy(() -> new LabelRequest("it-1", 2, Status.DISCARDED, "", ""))
        .hasMessageStartingWith("status:");
    List<String> many = new ArrayList<>();
    for (int i = 0; i <= TaskSpec.MAX_QUERIES; i++) {
      many.add("q" + i);
    }
    assertThatThrownBy(() -> new TaskSpec("t", "", many, 3, 10, ""))
        .hasMessage("queries: expected 1 to 200 queries, was 201");
    assertThatThrownBy(() -> new TaskSpec("t", "", List.of("q"), 11, 10, ""))
        .hasMessageStartingWith("overlap:");
    assertThatThrownBy(() -> new TaskSpec("../etc", "", List.of("q"), 3, 10, ""))
        .hasMessageStartingWith("id:");
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      f.task("deploys", 2, "mia");
      assertThatThrownBy(() -> f.judging.queue(Fixture.who("ada"), "deploys", 101))
          .hasMessage("max: expected 1 to 100, was 101");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void noItemGetsMoreThanItsOverlapEvenWhenAnnotatorsRace(Backend backend) throws Exception {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Item cache = f.item(f.task("deploys", 1, "mia"), "eng/cache");
      ExecutorService pool = Executors.newFixedThreadPool(3);
      try {
        List<Callable<Boolean>> tries = new ArrayList<>();
        for (String who : List.of("ada", "andy", "judy")) {
          tries.add(
              () -> {
                try {
                  f.submit(who, cache, 2);
                  return true;
                } catch (ConflictException e) {
                  assertThat(e).hasMessageContaining("is final");
                  return false;
                }
              });
        }
        int accepted = 0;
        for (Future<Boolean> r : pool.invokeAll(tries)) {
          accepted += r.get() ? 1 : 0;
        }
        assertThat(accepted).isEqualTo(1);
      } finally {
        pool.shutdownNow();
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void aThirdAnnotatorIsRefusedOnceTheOverlapIsReached(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false).mixedCorpus()) {
      Item cache = f.item(f.task("deploys", 2, "mia"), "eng/cache");
      f.submit("ada", cache, 1);
      f.submit("andy", cache, 3);
      assertThatThrownBy(() -> f.submit("judy", cache, 2))
          .isInstanceOf(ConflictException.class)
          .hasMessage("item '" + cache.id() + "' has its 2 annotators already");
      assertThat(f.judging.queue(Fixture.who("judy"), "deploys", 10))
          .extracting(Item::documentId)
          .containsExactly("eng/keys");
    }
  }
}
