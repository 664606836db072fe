"""Reports over many runs: the results table and its verdicts, the Markdown and HTML reports,
the study plots and the ablation figure. Pure renderers: they take results and write files."""
