"""One module per topic, each with a CASES list of tests.regimes.answer_table.Case."""
