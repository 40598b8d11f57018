package dev.anvil.trainer.job;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a job cost, as its model card records it: the mean wall time of a training step, and the
 * peak resident memory of the process that ran it (Linux's {@code VmHWM}: native tensors included,
 * which the JVM's own counters miss). The peak is the process's: a worker that ran other jobs
 * before reports the largest of them.
 */
final class Resources {
  private Resources() {}

  static Map<String, Object> of(double secondsPerStep) {
    Map<String, Object> out = new LinkedHashMap<>();
    if (Double.isFinite(secondsPerStep)) {
      out.put("seconds_per_step", Math.round(secondsPerStep * 1e4) / 1e4);
    }
    peakResidentMib().ifPresent(m -> out.put("peak_resident_mib", m));
    return out;
  }

  /** The process's peak resident memory in MiB, where the system tells it. */
  static java.util.OptionalLong peakResidentMib() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmHWM:")) {
          long kib = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return java.util.OptionalLong.of(kib / 1024);
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or not readable: the card says nothing rather than something wrong
    }
    return java.util.OptionalLong.empty();
  }
}
