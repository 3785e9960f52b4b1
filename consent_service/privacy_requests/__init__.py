"""Privacy requests: a person's request about their data, its deadline, its fulfilment and its proof."""
