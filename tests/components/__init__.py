"""Components the tasks share: grammar checkers and the topic library."""
