package dev.anvil.trainer.job;

import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

/**
 * One entry of a job's history, as the store keeps it ({@code events.jsonl}, one JSON object per
 * line) and as the trainer service streams it.
 */
public sealed interface JobEvent {
  /** The line of the history, from 0: a follower resumes after the last one it saw. */
  long sequence();

  Instant time();

  /** The {@code type} field of the stored line: state, step, eval, checkpoint, log. */
  String type();

  /** The job entered a state; a succeeded job names its model and held-out metrics. */
  record StateChanged(
      long sequence,
      Instant time,
      String state,
      Optional<String> reason,
      Optional<String> model,
      Map<String, Double> metrics)
      implements JobEvent {
    public StateChanged {
      metrics = Map.copyOf(metrics);
    }

    @Override
    public String type() {
      return "state";
    }
  }

  /** A training step: its loss, learning rate and throughput. */
  record Step(
      long sequence,
      Instant time,
      int step,
      int totalSteps,
      double loss,
      double learningRate,
      double examplesPerSecond)
      implements JobEvent {
    @Override
    public String type() {
      return "step";
    }
  }

  /** Held-out metrics at a step; {@code best} if the best so far (the one kept). */
  record Evaluation(
      long sequence, Instant time, int step, Map<String, Double> metrics, boolean best)
      implements JobEvent {
    public Evaluation {
      metrics = Map.copyOf(metrics);
    }

    @Override
    public String type() {
      return "eval";
    }
  }

  /** A checkpoint was written at a step (a killed job resumes from it). */
  record Checkpoint(long sequence, Instant time, int step) implements JobEvent {
    @Override
    public String type() {
      return "checkpoint";
    }
  }

  /** A line of text. */
  record Log(long sequence, Instant time, String message) implements JobEvent {
    @Override
    public String type() {
      return "log";
    }
  }

  /** Parses a stored line. */
  static JobEvent parse(long sequence, String line) {
    JsonObject e = JsonParser.parseString(line).getAsJsonObject();
    Instant time = Instant.parse(e.get("time").getAsString());
    return switch (e.get("type").getAsString()) {
      case "state" ->
          new StateChanged(
              sequence,
              time,
              e.get("state").getAsString(),
              optional(e, "reason"),
              optional(e, "model"),
              e.has("metrics") ? metrics(e.getAsJsonObject("metrics")) : Map.of());
      case "step" ->
          new Step(
              sequence,
              time,
              e.get("step").getAsInt(),
              e.get("total_steps").getAsInt(),
              e.get("loss").getAsDouble(),
              e.get("learning_rate").getAsDouble(),
              e.get("examples_per_second").getAsDouble());
      case "eval" ->
          new Evaluation(
              sequence,
              time,
              e.get("step").getAsInt(),
              metrics(e.getAsJsonObject("metrics")),
              e.get("best").getAsBoolean());
      case "checkpoint" -> new Checkpoint(sequence, time, e.get("step").getAsInt());
      default -> new Log(sequence, time, e.has("message") ? e.get("message").getAsString() : line);
    };
  }

  /** The event as one line of text for people, e.g. {@code step 3/10 loss 0.4210 ...}. */
  default String describe() {
    String text =
        switch (this) {
          case Step s ->
              String.format(
                  "step %d/%d  loss %.4f  lr %.2e  %.1f examples/s",
                  s.step(), s.totalSteps(), s.loss(), s.learningRate(), s.examplesPerSecond());
          case Evaluation e ->
              "eval at step "
                  + e.step()
                  + ": "
                  + new TreeMap<>(e.metrics())
                  + (e.best() ? " (best)" : "");
          case Checkpoint c -> "checkpoint at step " + c.step();
          case StateChanged s ->
              "state: "
                  + s.state()
                  + s.reason().map(r -> "\n" + r).orElse("")
                  + s.model().map(m -> " -> " + m + " " + new TreeMap<>(s.metrics())).orElse("");
          case Log l -> l.message();
        };
    return time() + "  " + text;
  }

  private static Optional<String> optional(JsonObject e, String field) {
    return e.has(field) ? Optional.of(e.get(field).getAsString()) : Optional.empty();
  }

  private static Map<String, Double> metrics(JsonObject o) {
    Map<String, Double> out = new TreeMap<>();
    for (Map.Entry<String, JsonElement> m : o.entrySet()) {
      out.put(m.getKey(), m.getValue().getAsDouble());
    }
    return out;
  }
}
