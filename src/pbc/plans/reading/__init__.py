"""Reading commissioning-plan documents into objectives (pure Python, no Django).

Public API::

    from pbc.plans.reading import read_plan, write_xlsx, write_docx, PlanReadError
    plan = read_plan("dacorum-2008-09.txt")            # or read_plan(upload_bytes, filename=...)
    plan.objectives[0].title, plan.unplaced, plan.warnings, plan.to_json()

`read_plan` dispatches on the content (`read`): the two plain-text exports, Word `.docx` and Excel
`.xlsx`. Each format reader turns its document into a stream of events (section headings, table
rows as text per column, loose text) and `assemble` makes objectives from them, the same way for
every format. The heuristics, each documented in its module:

- `columns`: columns are found by header text, in any order, with synonyms;
- `text_cells`: Word text export, a tab starts each cell; rows are cut by the header's width;
  a header run of cells repeats at page breaks; section headings are tab-less heading-like lines
  before a header;
- `text_columns`: PDF text export; full-width lines map field by field; runs of lines with fewer
  fields (columns left out where empty) are aligned to the header by a small cost model (timescale
  and lead look-alikes anchor their columns; narrow columns and the Objective column are the ones
  dropped); lines without a tab continue the last cell written; debris of words cut across columns
  is listed as unplaced (`fragments`);
- `assemble`: a row with objective text starts an objective, a row without is a sub-row of the one
  above, an objective cell that continues a visibly cut title (lower-case start after a comma or a
  joining word) is rejoined; timescales give due dates (`timescales`), early dates give warnings;
- `docx_reader`, `xlsx_reader`: tables or a sheet with repeated header rows, merged section rows,
  headings between tables, multi-paragraph / multi-line cells;
- `export`: `write_xlsx` and `write_docx` produce files that read back to the same objectives.

Nothing is silently dropped: text that is not placed in a field is in `ParsedPlan.unplaced` with
its location and the reason; `ParsedPlan.unplaced_share` measures it against the document's text.
"""

from pbc.plans.reading.columns import Role
from pbc.plans.reading.export import write_docx, write_xlsx
from pbc.plans.reading.model import ParsedObjective, ParsedPlan, PlanReadError, UnplacedFragment
from pbc.plans.reading.read import DEFAULT_FINANCIAL_YEAR, read_plan
from pbc.plans.reading.timescales import financial_year_start, parse_due_dates

__all__ = [
    "DEFAULT_FINANCIAL_YEAR",
    "ParsedObjective",
    "ParsedPlan",
    "PlanReadError",
    "Role",
    "UnplacedFragment",
    "financial_year_start",
    "parse_due_dates",
    "read_plan",
    "write_docx",
    "write_xlsx",
]
