/**
 * The context engine: tagged documents split into chunks, indexed in Lucene for BM25 and vector
 * search, and searched with the asking user's compiled policy filter inside every query.
 */
package dev.anvil.context;
