package dev.anvil.judge;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.anvil.store.TestStores.Backend;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/** Overlap, agreement, adjudication and final labels. */
class AdjudicationTest {
  @TempDir Path dir;

  /** Four engineering chunks ranked for one query. */
  private static Fixture fourChunks(Fixture f) {
    Object[] ranking = new Object[8];
    for (int i = 0; i < 4; i++) {
      f.corpus.put("eng/d" + i, 0, 1, "text " + i, Fixture.ENG_INTERNAL, i, 1, 0);
      ranking[2 * i] = "eng/d" + i + "#0";
      ranking[2 * i + 1] = 10.0 - i;
    }
    f.corpus.rank("q", "bm25", ranking);
    return f;
  }

  private static Task task(Fixture f, int overlap) {
    return f.judging.createTask(
        Fixture.who("mia"), new TaskSpec("t", "", List.of("q"), overlap, 10, ""));
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void agreementIsCohensAndFleissKappaOfSubmittedLabels(Backend backend) {
    try (Fixture f = fourChunks(new Fixture(backend, dir, false))) {
      Task t = task(f, 2);
      int[] ada = {3, 3, 0, 0};
      int[] andy = {3, 0, 0, 0};
      for (int i = 0; i < 4; i++) {
        Item item = f.item(t, "eng/d" + i);
        f.submit("ada", item, ada[i]);
        f.submit("andy", item, andy[i]);
      }
      AgreementReport r = f.judging.agreement(Fixture.who("mia"), "t");
      // By hand: po = 3/4; ada is half 3, half 0; andy a quarter 3; pe = 1/8 + 3/8 = 1/2;
      // Cohen = (3/4 - 1/2) / (1/2) = 1/2. Fleiss: P-bar = 3/4, p(0) = 5/8, p(3) = 3/8,
      // Pe = 34/64; (3/4 - 34/64) / (1 - 34/64) = 7/15.
      assertThat(r.pairs()).hasSize(1);
      assertThat(r.pairs().getFirst().a()).isEqualTo("ada");
      assertThat(r.pairs().getFirst().b()).isEqualTo("andy");
      assertThat(r.pairs().getFirst().items()).isEqualTo(4);
      assertThat(r.pairs().getFirst().cohen().orElseThrow()).isCloseTo(0.5, within(1e-12));
      assertThat(r.fleiss().orElseThrow()).isCloseTo(7.0 / 15, within(1e-12));
      assertThat(r.complete()).isEqualTo(4);
      assertThat(r.agreed()).isEqualTo(3);
      assertThat(r.disputed()).isEqualTo(1);
      assertThat(r.adjudicated()).isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void draftsAndDiscardedLabelsAreNotCounted(Backend backend) {
    try (Fixture f = fourChunks(new Fixture(backend, dir, false))) {
      Task t = task(f, 2);
      Item d0 = f.item(t, "eng/d0");
      f.submit("ada", d0, 3);
      f.judging.label(
          Fixture.who("andy"), new LabelRequest(d0.id(), 0, Status.DRAFT, "", ""), Source.EXPERT);
      f.submit("judy", f.item(t, "eng/d1"), 1);
      f.judging.discard(Fixture.who("judy"), f.item(t, "eng/d1").id());
      AgreementReport r = f.judging.agreement(Fixture.who("mia"), "t");
      assertThat(r.complete()).isZero();
      assertThat(r.pairs()).isEmpty();
      assertThat(r.fleiss()).isEmpty();
      assertThat(f.judging.item(Fixture.who("judy"), f.item(t, "eng/d1").id()).submitted())
          .isZero();
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void disagreementsGoToTheAdjudicatorAndOnlyAgreedOrAdjudicatedLabelsAreFinal(Backend backend) {
    try (Fixture f = fourChunks(new Fixture(backend, dir, false))) {
      Task t = task(f, 2);
      Item agreed = f.item(t, "eng/d0");
      Item disputed = f.item(t, "eng/d1");
      Item open = f.item(t, "eng/d2");
      f.submit("ada", agreed, 2);
      f.submit("andy", agreed, 2);
      f.submit("ada", disputed, 0);
      f.submit("andy", disputed, 3);
      f.submit("ada", open, 1);

      assertThat(f.judging.finalLabels(Fixture.who("mia"), "t"))
          .extracting(FinalLabel::documentId, FinalLabel::label, FinalLabel::basis)
          .containsExactly(
              org.assertj.core.groups.Tuple.tuple("eng/d0", 2, FinalLabel.Basis.AGREED));
      assertThatThrownBy(() -> f.submit("ada", agreed, 3))
          .isInstanceOf(ConflictException.class)
          .hasMessageContaining("is final");

      assertThatThrownBy(() -> f.judging.disputes(Fixture.who("ada"), "t", 10))
          .isInstanceOf(DeniedException.class)
          .hasMessage("settling disagreements of task 't' needs the role 'adjudicator'");
      assertThat(f.judging.disputes(Fixture.who("judy"), "t", 10))
          .extracting(Item::id)
          .containsExactly(disputed.id());
      assertThatThrownBy(
              () ->
                  f.judging.adjudicate(
                      Fixture.who("judy"), new AdjudicateRequest(open.id(), 1, "", "")))
          .isInstanceOf(ConflictException.class)
          .hasMessage("item '" + open.id() + "' is not disputed (open)");
      assertThatThrownBy(
              () ->
                  f.judging.adjudicate(
                      Fixture.who("ada"), new AdjudicateRequest(disputed.id(), 1, "", "")))
          .isInstanceOf(DeniedException.class);

      FinalLabel settled =
          f.judging.adjudicate(
              Fixture.who("judy"), new AdjudicateRequest(disputed.id(), 2, "partly answers", ""));
      assertThat(settled.basis()).isEqualTo(FinalLabel.Basis.ADJUDICATED);
      assertThat(settled.annotators()).containsExactly("ada", "andy", "judy");
      assertThat(settled.tags()).containsEntry("classification", "internal");
      assertThat(f.judging.finalLabels(Fixture.who("mia"), "t"))
          .extracting(FinalLabel::documentId, FinalLabel::label)
          .containsExactlyInAnyOrder(
              org.assertj.core.groups.Tuple.tuple("eng/d0", 2),
              org.assertj.core.groups.Tuple.tuple("eng/d1", 2));
      assertThat(f.judging.disputes(Fixture.who("judy"), "t", 10)).isEmpty();
      assertThatThrownBy(
              () ->
                  f.judging.adjudicate(
                      Fixture.who("judy"), new AdjudicateRequest(disputed.id(), 0, "", "")))
          .hasMessage("item '" + disputed.id() + "' is not disputed (final)");
      assertThat(f.judging.agreement(Fixture.who("judy"), "t").adjudicated()).isEqualTo(1);
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void theAgreementIsForTheCreatorAdjudicatorsAndAdministratorsOnly(Backend backend) {
    try (Fixture f = fourChunks(new Fixture(backend, dir, false))) {
      task(f, 2);
      assertThat(f.judging.agreement(Fixture.who("sam"), "t").items()).isEqualTo(4); // admin
      assertThat(f.judging.agreement(Fixture.who("judy"), "t").items()).isEqualTo(4);
      assertThatThrownBy(() -> f.judging.agreement(Fixture.who("ada"), "t"))
          .isInstanceOf(DeniedException.class);
      assertThatThrownBy(() -> f.judging.agreement(Fixture.who("ada"), "nope"))
          .isInstanceOf(NotFoundException.class)
          .hasMessage("no task 'nope' that you may see");
    }
  }

  @ParameterizedTest
  @EnumSource(Backend.class)
  void finalLabelsAreOnlyThoseOnChunksTheCallerMayRead(Backend backend) {
    try (Fixture f = new Fixture(backend, dir, false)) {
      f.corpus
          .put("eng/open", 0, 1, "internal text", Fixture.ENG_INTERNAL)
          .put("eng/secret", 0, 1, "confidential text", Fixture.ENG_CONFIDENTIAL)
          .rank("q", "bm25", "eng/open#0", 2.0, "eng/secret#0", 1.0);
      Task t = task(f, 1);
      f.submit("ada", f.item(t, "eng/open"), 3);
      f.submit("ada", f.item(t, "eng/secret"), 1);
      assertThat(f.judging.finalLabels(Fixture.who("mia"), "t")).hasSize(2);
      assertThat(f.judging.finalLabels(Fixture.who("abe"), "t"))
          .extracting(FinalLabel::documentId)
          .containsExactly("eng/open");
      assertThat(f.judging.finalLabels(Fixture.who("abe"), "t").getFirst().tags())
          .isEqualTo(Map.of("classification", "internal", "department", List.of("engineering")));
    }
  }
}
