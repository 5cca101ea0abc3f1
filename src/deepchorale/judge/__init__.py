"""The judges: networks that say how much a piece sounds like Bach, their scoring, training data and reports.

Two judges with two jobs. compose's **critic** (`net.JudgeNet`: the merged piano roll, trained on
transposed windows, so register is no cue) picks candidates and finds the windows to revise. The
**evaluation judge** (`register_net.RegisterJudgeNet`: one roll per voice at absolute pitch, so it
hears register, spacing and each voice's articulation) grades tracks; compose never loads it, so
nothing is optimised against the model that reports the grade.
"""
