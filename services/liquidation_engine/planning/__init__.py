"""Pure planning: which positions are liquidatable, in which order, how much each repays, and the
rules that hold an escrow back (in flight, cooling down, waiting for a re-read). No I/O here."""
