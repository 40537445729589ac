console.log('demo: work in progress')
