"""Finance analytics: spend by budget line, budgets, profiles, statements, forecasts, freed-up
resources. Pure (Ibis expressions and plain Python with Decimal); no Django, no engine calls.

- `periods`, `lines`, `money`: financial years, budget lines, exact apportionment in pennies;
- `spend`: costed activity and prescribing summarised by practice × provider × line × month;
- `budgets`: historic + uplift, per capita, weighted capitation, blend toward fair share;
- `profiles`: monthly budget profiles (seasonal for emergency care);
- `forecast`: run rate, last year's seasonal profile, linear trend, each with a backtest;
- `statement`: the monthly statement of a practice, locality or PCT;
- `prescribing`: actual / estimated months, price and volume effects;
- `contracts`: plan against actual, block contracts;
- `freed`: freed-up resources (practice/PCT split), net locality position, deficit repayment.

Choices where the issue is silent are written in each module's docstring.
"""
