package dev.anvil.trainer.job;

import com.google.gson.Gson;
import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import dev.anvil.rbac.Principal;
import java.time.Instant;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A job's state and owner as JSON: the form the job folders of earlier versions held ({@code
 * state.json}, {@code job.json}'s owner) and the store's rows hold now, so that an imported folder
 * and a new job read alike.
 */
final class JobJson {
  static final Gson GSON = new Gson();

  private JobJson() {}

  static String state(JobState state) {
    JsonObject o = new JsonObject();
    o.addProperty("state", state.label());
    o.addProperty("at", state.at().toString());
    switch (state) {
      case JobState.Running r -> {
        o.addProperty("step", r.step());
        o.addProperty("total_steps", r.totalSteps());
      }
      case JobState.Succeeded s -> {
        o.addProperty("model", s.model());
        o.add("metrics", GSON.toJsonTree(s.metrics()));
      }
      case JobState.Failed f -> o.addProperty("reason", f.reason());
      case JobState.Queued q -> {}
      case JobState.Validating v -> {}
      case JobState.Cancelled c -> {}
    }
    return GSON.toJson(o);
  }

  static JobState state(String json) {
    JsonObject o = JsonParser.parseString(json).getAsJsonObject();
    Instant at = Instant.parse(o.get("at").getAsString());
    return switch (o.get("state").getAsString()) {
      case "queued" -> new JobState.Queued(at);
      case "validating" -> new JobState.Validating(at);
      case "running" ->
          new JobState.Running(at, o.get("step").getAsInt(), o.get("total_steps").getAsInt());
      case "succeeded" -> {
        Map<String, Double> metrics = new HashMap<>();
        o.getAsJsonObject("metrics")
            .entrySet()
            .forEach(e -> metrics.put(e.getKey(), e.getValue().getAsDouble()));
        yield new JobState.Succeeded(at, o.get("model").getAsString(), metrics);
      }
      case "failed" -> new JobState.Failed(at, o.get("reason").getAsString());
      case "cancelled" -> new JobState.Cancelled(at);
      default -> throw new IllegalStateException("unknown state " + o.get("state"));
    };
  }

  static String principal(Principal p) {
    return GSON.toJson(principalTree(p));
  }

  static JsonObject principalTree(Principal p) {
    JsonObject o = new JsonObject();
    o.addProperty("subject", p.subject());
    o.add("roles", GSON.toJsonTree(p.roles()));
    o.add("groups", GSON.toJsonTree(p.groups()));
    o.add("attributes", GSON.toJsonTree(p.attributes()));
    return o;
  }

  static Principal principal(String json) {
    return principal(JsonParser.parseString(json).getAsJsonObject());
  }

  static Principal principal(JsonObject o) {
    // A list of values each (jobs written before attributes were lists hold one text each).
    Map<String, List<String>> attributes = new LinkedHashMap<>();
    o.getAsJsonObject("attributes")
        .entrySet()
        .forEach(
            e ->
                attributes.put(
                    e.getKey(),
                    e.getValue().isJsonArray()
                        ? List.copyOf(strings(e.getValue().getAsJsonArray()))
                        : List.of(e.getValue().getAsString())));
    return new Principal(
        o.get("subject").getAsString(),
        strings(o.getAsJsonArray("roles")),
        strings(o.getAsJsonArray("groups")),
        attributes);
  }

  private static Set<String> strings(JsonArray a) {
    Set<String> out = new HashSet<>();
    for (JsonElement e : a) {
      out.add(e.getAsString());
    }
    return out;
  }
}
