import sys

from eelbert_tf.cli import main

sys.exit(main())
