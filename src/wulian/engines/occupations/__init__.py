"""Job titles to the national occupation classification (职业分类大典 2022).

The classification's table (code, name, parent_code, definition, tasks) becomes a taxonomy of the
classify engine: a node's lines are its name, its definition and each of its main tasks, and its
keywords are the job titles firms use for it (aliases.yaml). Titles as firms write them
(高级Java开发工程师, 电气工程师（PLC方向）) are cleaned first (titles.py) and then placed by the
classify engine's model; a title whose best score is under the threshold is marked for review.
"""
