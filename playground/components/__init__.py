"""Task components beyond prompting: the grammar checkers, exemplar classifiers and the topic library.
Imports core, text, engines and runtime."""
