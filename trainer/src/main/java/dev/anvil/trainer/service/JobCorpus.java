package dev.anvil.trainer.service;

import dev.anvil.trainer.job.JobSpec;
import dev.anvil.trainer.service.TrainerException.Kind;
import dev.anvil.trainer.synth.CorpusSource;
import dev.anvil.trainer.synth.CorpusUnavailableException;
import dev.anvil.trainer.synth.EngineCorpus;
import dev.anvil.trainer.synth.PairSynthesizer;
import dev.anvil.trainer.synth.SyntheticDataset;
import dev.anvil.trainer.synth.SyntheticPair;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The synthetic data set of a job whose data is the context engine's ({@code data.engine}): read
 * from the engine for the job's owner when the job is submitted (the owner's credentials are at
 * hand then, not when the job runs), made into pairs, and kept with the job. Refusals name the
 * field; a corpus the owner may not see reads exactly as an empty one.
 */
final class JobCorpus {
  private JobCorpus() {}

  /**
   * The data set's files.
   *
   * @param source the engine, asking as the job's owner; empty if this trainer has none
   * @throws TrainerException {@link Kind#INVALID} if there is no engine, nothing to train on, or
   *     too much, or if the engine refuses the request itself (e.g. an unknown tag); {@link
   *     Kind#EXHAUSTED} if it cannot be reached now; {@link Kind#CONFLICT} if it fails otherwise
   */
  static Map<String, byte[]> make(JobSpec.EngineData data, Optional<CorpusSource> source) {
    CorpusSource engine =
        source.orElseThrow(
            () ->
                new TrainerException(
                    Kind.INVALID,
                    "field 'data.engine': this trainer reads no context engine (start it with"
                        + " --engine HOST:PORT), or use data.train: FILE"));
    EngineCorpus corpus;
    try {
      corpus = EngineCorpus.read(engine, data.tags(), data.maxPassages());
    } catch (EngineCorpus.CorpusTooLargeException e) {
      throw new TrainerException(Kind.INVALID, "field 'data.engine': " + e.getMessage());
    } catch (CorpusUnavailableException e) {
      Kind kind =
          switch (e.reason()) {
            case UNAVAILABLE -> Kind.EXHAUSTED;
            case INVALID_REQUEST -> Kind.INVALID;
            case FAILED -> Kind.CONFLICT;
          };
      throw new TrainerException(kind, "field 'data.engine': " + e.getMessage());
    }
    if (corpus.passages().isEmpty()) {
      throw new TrainerException(
          Kind.INVALID,
          "field 'data.engine': "
              + engine.name()
              + " has no documents with tags "
              + data.tags()
              + " that you may train on");
    }
    List<SyntheticPair> pairs = PairSynthesizer.synthesize(corpus.passages(), data.synthesis());
    if (pairs.isEmpty()) {
      throw new TrainerException(
          Kind.INVALID,
          "field 'data.synthetic': no pair could be made from "
              + corpus.passages().size()
              + " passages (no titles, no passage of 3 sentences or 20 words)");
    }
    Map<String, Object> origin = new LinkedHashMap<>(corpus.origin());
    origin.put("max_passages", data.maxPassages());
    return SyntheticDataset.of(pairs, corpus.passages(), data.synthesis(), origin).files();
  }
}
