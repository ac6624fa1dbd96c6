// TrainThenAnalyse ran in the consumer build and wrote its circuit
def eap = new File(basedir, 'target/run/eap/eap.json')
assert eap.isFile() : "TrainThenAnalyse wrote no " + eap
def log = new File(basedir, 'build.log').text
assert log.contains('circuit of ') : 'TrainThenAnalyse printed no circuit'
assert !log.contains('jmh-core') : 'jmh-core reached the consumer'
