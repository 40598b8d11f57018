/** Internals of the context engine: chunking, fusion, packing. Not an API. */
package dev.anvil.context.internal;
