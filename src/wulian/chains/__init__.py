"""产业链: atlas, placement, health, gaps. Importing the package registers its registry hooks."""

from wulian.chains import hooks as hooks
