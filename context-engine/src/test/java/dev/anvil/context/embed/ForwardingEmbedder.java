package dev.anvil.context.embed;

import java.util.List;
import java.util.Optional;

/**
 * An embedder that forwards every call to another; a test overrides what it changes (as Guava's
 * {@code Forwarding*} classes). Closing it does not close the delegate.
 */
public abstract class ForwardingEmbedder implements Embedder {
  protected abstract Embedder delegate();

  @Override
  public String modelId() {
    return delegate().modelId();
  }

  @Override
  public Optional<String> digest() {
    return delegate().digest();
  }

  @Override
  public int dimension() {
    return delegate().dimension();
  }

  @Override
  public int maxTokens() {
    return delegate().maxTokens();
  }

  @Override
  public int countTokens(String text) {
    return delegate().countTokens(text);
  }

  @Override
  public float[][] embed(InputType type, List<String> texts) {
    return delegate().embed(type, texts);
  }

  @Override
  public void close() {}
}
