"""`deepchorale select`'s library: gather and rank runs (leaderboard), export the winner (bundle),
and the static HTML report (report)."""
