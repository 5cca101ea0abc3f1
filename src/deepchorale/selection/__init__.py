"""`deepchorale select`'s library: gather and rank runs (leaderboard), export the winner
(submission), and the static HTML report (report)."""
