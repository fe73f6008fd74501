"""Budgets, statements, forecasts, freed-up resources and contracts (Django app).

Entry points for the rest of the system:

- `pbc.finance.refresh.refresh(month=None)`: recompute costing and the spend facts behind the
  statements for a month (the `pbc refresh` verb);
- `pbc.demo.finance.load(scale)`: demo contracts, enhanced-service payments and approved
  2008/09 budgets, refreshed to month 10 (January 2009);
- `pbc.finance.queries`: what other apps read of finance, as plain data.

Agreed challenge recoveries come from the validation app (`pbc.validation.finance`), which the
refresh imports: they are credited before the statements are built.

Choices where the issue is silent (details in each module):

- Statements are computed on request from approved budgets and stored spend facts; the facts
  are what `refresh` derives from the warehouse. A locality or PCT statement is built from the
  sums of its practices' series, so budgets and actuals reconcile to the penny; its forecast is
  made on the summed series.
- Budgets are charged with what providers invoiced (rows billed to the practice's own PCT),
  minus agreed recoveries; block contracts at their value, a twelfth a month by list size.
- The headline forecast of each line uses the method with the smallest backtest error on last
  year; the total is the sum of the lines.
- Freed-up resources come only from a net locality underspend; the practice share (70%) and the
  other rates are dated settings (`FinanceSetting`).
"""
