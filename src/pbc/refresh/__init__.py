"""The refresh of derived figures (`pbc refresh`): one pipeline of declared steps
(`pbc.refresh.pipeline`), the record of each step's runs (`StepRun`) and what pages read from it
(`pbc.refresh.queries.staleness`: whether a step's figures are older than their inputs)."""
