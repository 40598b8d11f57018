package dev.anvil.judge.internal;

import com.google.gson.Gson;
import com.google.gson.GsonBuilder;
import com.google.gson.reflect.TypeToken;
import java.util.Map;
import java.util.TreeMap;

/** Tags and ranks as the tables keep them: JSON objects with sorted keys. */
final class Json {
  private static final Gson GSON = new GsonBuilder().disableHtmlEscaping().create();

  private Json() {}

  static String tags(Map<String, Object> tags) {
    return GSON.toJson(new TreeMap<>(tags));
  }

  static Map<String, Object> tags(String json) {
    Map<String, Object> raw =
        GSON.fromJson(json, new TypeToken<Map<String, Object>>() {}.getType());
    return raw == null ? Map.of() : raw;
  }

  static String ranks(Map<String, Integer> ranks) {
    return GSON.toJson(new TreeMap<>(ranks));
  }

  static Map<String, Integer> ranks(String json) {
    Map<String, Integer> raw =
        GSON.fromJson(json, new TypeToken<Map<String, Integer>>() {}.getType());
    return raw == null ? Map.of() : raw;
  }

  static Gson gson() {
    return GSON;
  }
}
