"""The interview's steps, one module each. Each node takes the state (and the run's Services via
LangGraph's Runtime) and returns a partial state update."""
