package dev.anvil.trainer;

import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Makes memory that native code must no longer use visibly wrong: collects garbage until the
 * unreachable direct buffers are freed, then allocates small direct buffers full of NaN, which take
 * the freed blocks back. A tensor still reading a freed buffer then reads NaN, not a stale value.
 */
public final class FreedMemory {
  private FreedMemory() {}

  /** Returns the NaN buffers: keep them reachable while the code under test runs. */
  public static List<ByteBuffer> scribble() {
    BufferPoolMXBean direct =
        ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
            .filter(b -> b.getName().equals("direct"))
            .findFirst()
            .orElseThrow();
    long before = direct.getCount();
    long deadline = System.nanoTime() + 1_000_000_000L;
    // The GC only finds the buffers; a cleaner thread frees their memory a little later.
    do {
      System.gc();
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
    } while (direct.getCount() >= before && System.nanoTime() < deadline);
    List<ByteBuffer> nan = new ArrayList<>();
    for (int i = 0; i < 4096; i++) {
      ByteBuffer b = ByteBuffer.allocateDirect(Float.BYTES).order(ByteOrder.nativeOrder());
      b.putFloat(0, Float.NaN);
      nan.add(b);
    }
    return nan;
  }
}
