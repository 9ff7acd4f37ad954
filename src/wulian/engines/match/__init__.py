"""Talents to posts and posts to talents: a score per criterion, a total, the top k, and the
reasons in Chinese.

- inputs.py: the two tables (people, posts) read and checked, encoded as arrays;
- scoring.py: the criteria, their weights and every pair's scores as arrays (the reference);
- kernel.py: the top k of every post (or person) over all the others, compiled, in parallel;
- reasons.py: what met and what is missing, per criterion, for the pairs shown;
- files.py: `wulian talent match` on plain files.
"""
