package dev.anvil.trainer.grpc;

import dev.anvil.trainer.grpc.v1.Job;
import dev.anvil.trainer.grpc.v1.Model;
import dev.anvil.trainer.grpc.v1.PromoteResponse;
import dev.anvil.trainer.grpc.v1.Score;
import dev.anvil.trainer.grpc.v1.TagValues;
import dev.anvil.trainer.job.JobEvent;
import dev.anvil.trainer.job.JobState;
import dev.anvil.trainer.promote.GateDecision;
import dev.anvil.trainer.promote.GateRules;
import dev.anvil.trainer.service.JobView;
import dev.anvil.trainer.service.ModelInfo;
import dev.anvil.trainer.service.Promotion;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/** Our values to the trainer's protos and back: the server writes them, the client reads them. */
final class TrainerProtos {
  private TrainerProtos() {}

  static Job job(JobView j) {
    Job.Builder b =
        Job.newBuilder()
            .setId(j.id())
            .setName(j.name())
            .setOwner(j.owner())
            .setSubmitted(j.submitted().toString())
            .setState(j.state().label())
            .setStateSince(j.state().at().toString());
    switch (j.state()) {
      case JobState.Running r -> b.setStep(r.step()).setTotalSteps(r.totalSteps());
      case JobState.Succeeded s -> b.setModel(s.model()).putAllMetrics(s.metrics());
      case JobState.Failed f -> b.setReason(f.reason());
      case JobState.Queued q -> {}
      case JobState.Validating v -> {}
      case JobState.Cancelled c -> {}
    }
    return b.build();
  }

  static JobView job(Job j) {
    Instant at = Instant.parse(j.getStateSince());
    JobState state =
        switch (j.getState()) {
          case "queued" -> new JobState.Queued(at);
          case "validating" -> new JobState.Validating(at);
          case "running" -> new JobState.Running(at, j.getStep(), j.getTotalSteps());
          case "succeeded" -> new JobState.Succeeded(at, j.getModel(), j.getMetricsMap());
          case "failed" -> new JobState.Failed(at, j.getReason());
          case "cancelled" -> new JobState.Cancelled(at);
          default -> throw new IllegalStateException("unknown job state '" + j.getState() + "'");
        };
    return new JobView(
        j.getId(), j.getName(), j.getOwner(), Instant.parse(j.getSubmitted()), state);
  }

  static dev.anvil.trainer.grpc.v1.JobEvent event(String jobId, JobEvent e) {
    var b =
        dev.anvil.trainer.grpc.v1.JobEvent.newBuilder()
            .setJobId(jobId)
            .setSequence(e.sequence())
            .setTime(e.time().toString());
    switch (e) {
      case JobEvent.StateChanged s ->
          b.setState(
              dev.anvil.trainer.grpc.v1.JobEvent.StateChanged.newBuilder()
                  .setState(s.state())
                  .setReason(s.reason().orElse(""))
                  .setModel(s.model().orElse(""))
                  .putAllMetrics(s.metrics()));
      case JobEvent.Step s ->
          b.setStep(
              dev.anvil.trainer.grpc.v1.JobEvent.Step.newBuilder()
                  .setStep(s.step())
                  .setTotalSteps(s.totalSteps())
                  .setLoss(s.loss())
                  .setLearningRate(s.learningRate())
                  .setExamplesPerSecond(s.examplesPerSecond()));
      case JobEvent.Evaluation v ->
          b.setEvaluation(
              dev.anvil.trainer.grpc.v1.JobEvent.Evaluation.newBuilder()
                  .setStep(v.step())
                  .putAllMetrics(v.metrics())
                  .setBest(v.best()));
      case JobEvent.Checkpoint c ->
          b.setCheckpoint(
              dev.anvil.trainer.grpc.v1.JobEvent.Checkpoint.newBuilder().setStep(c.step()));
      case JobEvent.Log l ->
          b.setLog(dev.anvil.trainer.grpc.v1.JobEvent.Log.newBuilder().setMessage(l.message()));
    }
    return b.build();
  }

  static JobEvent event(dev.anvil.trainer.grpc.v1.JobEvent e) {
    long seq = e.getSequence();
    Instant time = Instant.parse(e.getTime());
    return switch (e.getEventCase()) {
      case STATE ->
          new JobEvent.StateChanged(
              seq,
              time,
              e.getState().getState(),
              optional(e.getState().getReason()),
              optional(e.getState().getModel()),
              e.getState().getMetricsMap());
      case STEP ->
          new JobEvent.Step(
              seq,
              time,
              e.getStep().getStep(),
              e.getStep().getTotalSteps(),
              e.getStep().getLoss(),
              e.getStep().getLearningRate(),
              e.getStep().getExamplesPerSecond());
      case EVALUATION ->
          new JobEvent.Evaluation(
              seq,
              time,
              e.getEvaluation().getStep(),
              e.getEvaluation().getMetricsMap(),
              e.getEvaluation().getBest());
      case CHECKPOINT -> new JobEvent.Checkpoint(seq, time, e.getCheckpoint().getStep());
      case LOG -> new JobEvent.Log(seq, time, e.getLog().getMessage());
      case EVENT_NOT_SET -> new JobEvent.Log(seq, time, "(an event of a newer trainer)");
    };
  }

  static Model model(ModelInfo m) {
    Model.Builder b =
        Model.newBuilder()
            .setId(m.id())
            .setJob(m.job())
            .setTask(m.task())
            .setOwner(m.owner())
            .setCreated(m.created().toString())
            .setPath(m.path().toString())
            .setOnnx(m.onnx())
            .setCard(m.card());
    m.lineage()
        .forEach(
            (tag, v) ->
                b.putLineage(
                    tag,
                    TagValues.newBuilder()
                        .addAllValues(
                            v instanceof List<?> l
                                ? l.stream().map(String::valueOf).toList()
                                : List.of(String.valueOf(v)))
                        .build()));
    return b.build();
  }

  /** Back from the wire: the card is the source of truth (the lineage map is for other clients). */
  static ModelInfo model(Model m) {
    return ModelInfo.parse(m.getId(), m.getCard(), Path.of(m.getPath()), m.getOnnx());
  }

  static PromoteResponse promotion(Promotion p) {
    GateDecision d = p.decision();
    return PromoteResponse.newBuilder()
        .setDecisionId(d.id())
        .setPromoted(d.promoted())
        .addAllReasons(d.verdict() instanceof GateDecision.Refuse r ? r.reasons() : List.of())
        .setEvaluation(score(d.evaluation()))
        .setRegression(score(d.regression()))
        .setRules(
            dev.anvil.trainer.grpc.v1.GateRules.newBuilder()
                .setMetric(d.rules().metric())
                .setMinMargin(d.rules().minMargin())
                .setMaxRegression(d.rules().maxRegression())
                .putAllMaxLineage(d.rules().maxLineage()))
        .setModel(model(p.model()))
        .setTime(d.at().toString())
        .setServing(d.serving())
        .build();
  }

  static Promotion promotion(PromoteResponse r) {
    ModelInfo model = model(r.getModel());
    GateDecision d =
        new GateDecision(
            r.getDecisionId(),
            Instant.parse(r.getTime()),
            model.id(),
            r.getServing(),
            new GateRules(
                r.getRules().getMetric(),
                r.getRules().getMinMargin(),
                r.getRules().getMaxRegression(),
                new TreeMap<>(r.getRules().getMaxLineageMap())),
            score(r.getEvaluation()),
            score(r.getRegression()),
            new TreeMap<>(model.lineage()),
            r.getPromoted()
                ? new GateDecision.Promote()
                : new GateDecision.Refuse(r.getReasonsList()));
    return new Promotion(d, model);
  }

  private static Score score(GateDecision.Score s) {
    return Score.newBuilder()
        .setSet(s.set())
        .setSplit(s.split())
        .setMetric(s.metric())
        .setCandidate(s.candidate())
        .setServing(s.serving())
        .build();
  }

  private static GateDecision.Score score(Score s) {
    return new GateDecision.Score(
        s.getSet(), s.getSplit(), s.getMetric(), s.getCandidate(), s.getServing());
  }

  private static Optional<String> optional(String s) {
    return s.isEmpty() ? Optional.empty() : Optional.of(s);
  }

  static Map<String, byte[]> files(Map<String, com.google.protobuf.ByteString> files) {
    Map<String, byte[]> out = new TreeMap<>();
    files.forEach((k, v) -> out.put(k, v.toByteArray()));
    return out;
  }
}
