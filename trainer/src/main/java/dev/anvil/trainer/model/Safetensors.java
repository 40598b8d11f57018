package dev.anvil.trainer.model;

import com.google.gson.Gson;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * The safetensors format (Hugging Face): an 8-byte little-endian header length, a JSON header
 * naming each tensor's dtype, shape and byte range, then the raw little-endian data. F32, F16 and
 * BF16 are read (widened to F32); F32 is written.
 */
public final class Safetensors {
  private Safetensors() {}

  /** Reads every tensor of a file, by name, in the file's order. */
  public static Map<String, Tensor> read(Path file) {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      ch.read(len, 0);
      long headerLength = len.getLong(0);
      if (headerLength <= 0 || headerLength > 100_000_000 || headerLength + 8 > ch.size()) {
        throw new ModelFormatException(
            file + ": not a safetensors file (header length " + headerLength + ")");
      }
      ByteBuffer header = ByteBuffer.allocate((int) headerLength);
      ch.read(header, 8);
      JsonObject json =
          JsonParser.parseString(new String(header.array(), StandardCharsets.UTF_8))
              .getAsJsonObject();
      long base = 8 + headerLength;
      Map<String, Tensor> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonElement> e : json.entrySet()) {
        if (e.getKey().equals("__metadata__")) {
          continue;
        }
        JsonObject t = e.getValue().getAsJsonObject();
        String dtype = t.get("dtype").getAsString();
        if (dtype.startsWith("I") && e.getKey().endsWith("position_ids")) {
          continue; // an integer buffer some exports carry, not a weight
        }
        long[] shape = new Gson().fromJson(t.get("shape"), long[].class);
        long[] range = new Gson().fromJson(t.get("data_offsets"), long[].class);
        ByteBuffer raw =
            ByteBuffer.allocate((int) (range[1] - range[0])).order(ByteOrder.LITTLE_ENDIAN);
        ch.read(raw, base + range[0]);
        raw.flip();
        out.put(e.getKey(), new Tensor(shape, floats(raw, dtype, file + ": tensor " + e.getKey())));
      }
      return out;
    } catch (IOException e) {
      throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      if (e instanceof ModelFormatException m) {
        throw m;
      }
      throw new ModelFormatException(file + ": not a valid safetensors file: " + e.getMessage(), e);
    }
  }

  static float[] floats(ByteBuffer raw, String dtype, String where) {
    int n;
    float[] out;
    switch (dtype) {
      case "F32" -> {
        n = raw.remaining() / 4;
        out = new float[n];
        raw.asFloatBuffer().get(out);
      }
      case "F16" -> {
        n = raw.remaining() / 2;
        out = new float[n];
        for (int i = 0; i < n; i++) {
          out[i] = Float.float16ToFloat(raw.getShort());
        }
      }
      case "BF16" -> {
        n = raw.remaining() / 2;
        out = new float[n];
        for (int i = 0; i < n; i++) {
          out[i] = Float.intBitsToFloat((raw.getShort() & 0xffff) << 16);
        }
      }
      default ->
          throw new ModelFormatException(
              where + ": dtype " + dtype + " is not supported (F32, F16, BF16)");
    }
    return out;
  }

  /** Writes tensors as F32, sorted by name (as Hugging Face's own writer does). */
  public static void write(Path file, Map<String, Tensor> tensors) {
    Map<String, Tensor> sorted = new TreeMap<>(tensors);
    JsonObject header = new JsonObject();
    JsonObject meta = new JsonObject();
    meta.addProperty("format", "pt");
    header.add("__metadata__", meta);
    long offset = 0;
    for (Map.Entry<String, Tensor> e : sorted.entrySet()) {
      JsonObject t = new JsonObject();
      t.addProperty("dtype", "F32");
      t.add("shape", new Gson().toJsonTree(e.getValue().shape()));
      long bytes = 4L * e.getValue().data().length;
      t.add("data_offsets", new Gson().toJsonTree(new long[] {offset, offset + bytes}));
      offset += bytes;
      header.add(e.getKey(), t);
    }
    byte[] json = new Gson().toJson(header).getBytes(StandardCharsets.UTF_8);
    int pad = (8 - json.length % 8) % 8; // the data starts 8-byte aligned
    try (OutputStream out = Files.newOutputStream(file)) {
      ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
      len.putLong(json.length + pad);
      out.write(len.array());
      out.write(json);
      out.write(" ".repeat(pad).getBytes(StandardCharsets.US_ASCII));
      for (Tensor t : sorted.values()) {
        ByteBuffer b = ByteBuffer.allocate(4 * t.data().length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(t.data());
        out.write(b.array());
      }
    } catch (IOException e) {
      throw new ModelFormatException("cannot write " + file + ": " + e.getMessage(), e);
    }
  }
}
