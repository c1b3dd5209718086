"""Planning: background solver runs, plan review, publishing, and the resulting tasking."""
