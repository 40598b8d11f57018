/**
 * The engine as the corpus of judgments: chunks read as the annotator, and each retriever's ranking
 * (BM25, dense, and a teacher model's where one is configured) as the task's creator.
 */
package dev.anvil.context.judging;
