"""Performance indicators over the warehouse: RTT waits, activity rates, prescribing measures.

Pure, engine-portable analytics (Ibis expressions and plain Python; no Django, no engine calls):

- `rtt`: referral-to-treatment waits (week bands, 18-week performance, exact and interpolated
  percentiles, the published week-band layout, the 17-week incomplete-pathway list);
- `expressions`: the named numerator and denominator expressions that indicator definitions
  refer to (`referrals.count`, `population.weighted`, `prescribing.items`, ...);
- `compute`: an indicator specification → one value per organisation and month, with its
  confidence interval, at practice, locality and PCT level (or provider);
- `prescribing`: OpenPrescribing-style practice deciles and potential savings.
"""
